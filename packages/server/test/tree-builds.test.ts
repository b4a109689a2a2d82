import { describe, expect, it } from 'vitest';
import { SharedBuilds } from '../src/tree-builds.js';

/** A build function whose calls are counted and finished by hand. */
function manualBuilds() {
  const pending: { resolve: (value: unknown) => void; reject: (error: Error) => void }[] = [];
  let calls = 0;
  const builds = new SharedBuilds<unknown>(
    () =>
      new Promise((resolve, reject) => {
        calls += 1;
        pending.push({ resolve, reject });
      }),
  );
  const finish = async (value: unknown): Promise<void> => {
    pending.shift()?.resolve(value);
    await new Promise((resolve) => setImmediate(resolve));
  };
  const fail = async (message: string): Promise<void> => {
    pending.shift()?.reject(new Error(message));
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { builds, finish, fail, calls: () => calls };
}

const text = async (answer: Promise<unknown>): Promise<string> => JSON.stringify(await answer);

describe('SharedBuilds (GET /tree)', () => {
  it('gives a request that arrives during a build the next build, shared with everyone else waiting', async () => {
    const m = manualBuilds();
    const first = text(m.builds.get());
    const second = text(m.builds.get());
    const third = text(m.builds.get());
    expect(m.calls()).toBe(1);
    await m.finish({ n: 1 });
    expect(await first).toBe('{"n":1}');
    expect(m.calls()).toBe(2); // the queued build started once the first ended
    await m.finish({ n: 2 });
    expect(await second).toBe('{"n":2}');
    expect(await third).toBe('{"n":2}');
  });

  it('starts a fresh build for a request after the last one ended', async () => {
    const m = manualBuilds();
    const first = text(m.builds.get());
    await m.finish({ n: 1 });
    await first;
    const later = text(m.builds.get());
    expect(m.calls()).toBe(2);
    await m.finish({ n: 2 });
    expect(await later).toBe('{"n":2}');
  });

  it('hands a failed build to its requests and still serves the queued ones', async () => {
    const m = manualBuilds();
    const first = m.builds.get();
    const queued = text(m.builds.get());
    const refused = expect(first).rejects.toThrow('disk gone');
    await m.fail('disk gone');
    await refused;
    await m.finish({ n: 2 });
    expect(await queued).toBe('{"n":2}');
  });
});
