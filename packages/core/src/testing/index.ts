/**
 * `@f2b/core/testing`: what plugin authors use to test their plugins.
 */
export { FakeClock } from './fake-clock.js';
export { thrownF2bError, rejectedF2bError } from './thrown.js';
export { ActionTester, type ActionTesterOptions } from './action-tester.js';
export { parseAnnotatedLog, evaluateConstraint, type Annotation, type AnnotatedBlock, type AnnotatedLine } from './annotated.js';
export {
  checkAnnotatedLog,
  parseAnnotationTime,
  FAIL2BAN_SAMPLE_NOW,
  type AnnotatedCheckOptions,
  type AnnotatedReport,
  type LineResult,
} from './annotated-check.js';
export {
  FilterTester,
  type FilterTesterConfig,
  type FilterTests,
  type ValidCase,
  type InvalidCase,
  type ExpectedFailure,
  type LineInput,
  type DescribeFn,
  type ItFn,
} from './filter-tester.js';
export { SourceTester, type SourceTesterOptions, type Delivered } from './source-tester.js';
export { createTestCore, type TestCore } from './test-core.js';
export { memoryLogger } from '../logger.js';
export { testFilterPackage, type FilterPackageTestOptions, type TestRunner } from './filter-package.js';
export { countAttempts, compareWithTruth, type LabTruth } from './lab-capture.js';
export { checkInvalidBytes, freeTextCaptures, freeTextRanges, type InvalidBytesOptions, type InvalidBytesReport } from './invalid-bytes.js';
export {
  checkVolatileAddresses,
  checkSampleLogVolatileAddresses,
  type VolatileAddressesOptions,
  type VolatileAddressesReport,
  type VolatileAddressesMismatch,
  type LineAnswer,
} from './volatile-addresses.js';
