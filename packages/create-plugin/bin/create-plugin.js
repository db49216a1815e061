#!/usr/bin/env node
// A committed entry point, so that npm links the command at install time, before `tsc -b` has
// produced dist/.
import '../dist/bin.js';
