/** The shape of one `utp` subcommand module (`commands/<name>.ts`), imported lazily. */
export interface Command {
  name: string;
  summary: string;
  /** Runs with the arguments after the subcommand name; resolves to the exit code
   *  (0 ok, 1 input/runtime error, 2 usage error). Throwing is reported as exit 1. */
  run(argv: string[]): Promise<number>;
}

/** Thrown for bad command-line usage: printed as one line, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
