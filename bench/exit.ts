/**
 * Runs a CLI's `main` and exits with its code (2, with the stack, when it throws), explicitly:
 * a Dawn device still alive (tfjs does not destroy its own) keeps Node running.
 */
export function runMain(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (e) => {
      console.error(e instanceof Error ? e.stack ?? e.message : e);
      process.exit(2);
    },
  );
}
