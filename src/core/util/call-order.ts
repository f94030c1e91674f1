/**
 * Steps that must take effect in the order they were asked for, whatever order their
 * asynchronous preparation finishes in: each waits for the steps asked before it to release.
 */
export class CallOrder {
  private last: Promise<void> = Promise.resolve();

  /**
   * Takes this step's place now (synchronously, at the call), and resolves once every earlier
   * step has released; resolves with this step's release, to be called exactly once.
   */
  enter(): Promise<() => void> {
    const before = this.last;
    let release!: () => void;
    this.last = new Promise<void>((r) => (release = r));
    return before.then(() => release);
  }
}
