/**
 * `F2bError` and the errors table. Every error f2b reports on purpose carries a stable code
 * (`F2B_ERR_*`), a full sentence saying what is wrong, the fix, and its exit class (what the `f2b`
 * command exits with when the error ends it). Each package defines its codes once, in a table built
 * with `defineErrors` — the model is Fastify's `lib/errors.js` (`createError(code, template,
 * status)`): the code is the key, so reading one file documents every code of a package.
 */

/**
 * The brand of an `F2bError`. `Symbol.for` puts it in the process-wide symbol registry, so an error
 * made by another copy of this package (a plugin's own `@f2b/kit`) is recognised by the running
 * core; `instanceof` is not, since each copy has its own class.
 */
export const F2B_ERROR: unique symbol = Symbol.for('f2b.error');

/**
 * What the `f2b` command exits with when the error ends it: `usage` (2) for a bad command line,
 * config or request, which the user must fix; `failure` (1) for what went wrong at run time.
 */
export type ExitClass = 'usage' | 'failure';

export interface F2bErrorDetails {
  /** How to fix it, as a sentence or a command. */
  fix?: string;
  /** Config key path of the bad value, e.g. `jails.sshd.maxretry`. */
  path?: string;
  /** Config file the value came from. */
  file?: string;
  /** Plugin and hook, for errors thrown inside a plugin tap. */
  plugin?: string;
  hook?: string;
  cause?: unknown;
  /** `failure` unless the table says otherwise. */
  exit?: ExitClass;
}

export class F2bError extends Error {
  readonly [F2B_ERROR] = true as const;
  readonly code: string;
  readonly fix?: string;
  readonly path?: string;
  readonly file?: string;
  readonly plugin?: string;
  readonly hook?: string;
  readonly exit: ExitClass;

  constructor(code: string, message: string, details: F2bErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'F2bError';
    this.code = code;
    this.fix = details.fix;
    this.path = details.path;
    this.file = details.file;
    this.plugin = details.plugin;
    this.hook = details.hook;
    this.exit = details.exit ?? exitClassOf(code) ?? 'failure';
  }

  /** The message with its location and fix, as printed to people. */
  describe(): string {
    const where = [this.file, this.path].filter(Boolean).join(': ');
    const head = `${this.code}: ${where ? `${where}: ` : ''}${this.message}`;
    return this.fix ? `${head}\n  Fix: ${this.fix}` : head;
  }
}

/** True for an `F2bError` from any copy of this package (the brand, not `instanceof`). */
export function isF2bError(err: unknown): err is F2bError {
  return typeof err === 'object' && err !== null && (err as { [F2B_ERROR]?: unknown })[F2B_ERROR] === true;
}

/** The same error, located at `where` (the file and key path that wrote the bad value). */
export function relocateError(err: F2bError, where: { file?: string; path?: string }): F2bError {
  return new F2bError(err.code, err.message, {
    fix: err.fix,
    path: err.path,
    file: err.file,
    plugin: err.plugin,
    hook: err.hook,
    cause: err.cause,
    exit: err.exit,
    ...where,
  });
}

/** What one code says: the sentence, the fix, and where it points. */
export interface ErrorText extends Omit<F2bErrorDetails, 'exit' | 'fix'> {
  message: string;
  fix: string;
}

/** One row of an errors table: the exit class and the template that fills in the sentence and fix. */
export interface ErrorSpec<A extends unknown[] = never[]> {
  exit: ExitClass;
  make: (...args: A) => ErrorText;
}

/** The factory a row becomes: call it with the template's arguments. */
export interface ErrorFactory<A extends unknown[], E extends F2bError = F2bError> {
  (...args: A): E;
  readonly code: string;
  readonly exit: ExitClass;
}

type ErrorClass<E extends F2bError> = new (code: string, message: string, details: F2bErrorDetails) => E;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnySpec = ErrorSpec<any[]>;

/** The factories `defineErrors` makes of a table, keyed by the same codes. */
export type ErrorTable<T, E extends F2bError = F2bError> = {
  readonly [K in keyof T]: T[K] extends { make: (...args: infer A) => ErrorText } ? ErrorFactory<A, E> : never;
};

/** The exit class of every code defined with `defineErrors` in this process (errors that crossed the control socket have only their code). */
const exitByCode = new Map<string, ExitClass>();

/** The exit class the table gives `code`, if a table loaded in this process defines it. */
export function exitClassOf(code: string): ExitClass | undefined {
  return exitByCode.get(code);
}

/**
 * An errors table: `{ F2B_ERR_X: { exit, make: (…args) => ({ message, fix, … }) } }` becomes
 * `{ F2B_ERR_X(…args): F2bError }`. When one code has several sentences, its template takes the
 * case as an argument (one code, one row). `Base` is the class to build (a subclass of `F2bError`
 * that carries more, like the HTTP status of a refused API call).
 */
export function defineErrors<T extends Record<`F2B_ERR_${string}`, AnySpec>, E extends F2bError = F2bError>(table: T, Base?: ErrorClass<E>): ErrorTable<T, E> {
  const Make = (Base ?? F2bError) as ErrorClass<E>;
  const out: Record<string, ErrorFactory<unknown[], E>> = {};
  for (const [code, spec] of Object.entries(table) as [string, AnySpec][]) {
    exitByCode.set(code, spec.exit);
    const factory = (...args: unknown[]): E => {
      const { message, ...details } = spec.make(...args);
      return new Make(code, message, { ...details, exit: spec.exit });
    };
    out[code] = Object.assign(factory, { code, exit: spec.exit });
  }
  return Object.freeze(out) as never;
}

/** `"name"`: how messages quote what they name. */
export const quote = (s: string): string => `"${s}"`;
