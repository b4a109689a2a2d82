import { describe, expect, it } from 'vitest';
import { FRAME_MAX_BYTES, WORKER_EXIT_CODES } from '@exlab/plugin-sdk';
import { LIMITS, PLUGIN_API_VERSIONS, PLUGIN_LIMITS } from '@exlab/core/constants';

describe('plugin constants', () => {
  it('pins the manifest caps, defaults and the API versions of §6.1.2', () => {
    expect(PLUGIN_API_VERSIONS).toEqual(['1']);
    expect(PLUGIN_LIMITS).toMatchObject({
      defaultTimeoutSeconds: 30,
      maxTimeoutSeconds: 300,
      defaultMemoryMb: 512,
      maxMemoryMb: 2048,
      lowMemoryWarnMb: 64,
      maxOpenFiles: 256,
      cpuSecondsPerTimeoutSecond: 2,
      validateTimeoutMs: 10_000,
      timeoutKillGraceMs: 1_000,
      watchdogIntervalMs: 200,
      snapshotContentMaxBytes: 64 * 1024,
      badFrameLogBytes: 4096,
    });
  });

  it('agrees with the SDK on the 1 MiB frame cap and the timeout exit code', () => {
    expect(PLUGIN_LIMITS.ipcFrameMaxBytes).toBe(1024 * 1024);
    expect(PLUGIN_LIMITS.ipcFrameMaxBytes).toBe(FRAME_MAX_BYTES);
    expect(PLUGIN_LIMITS.ipcFrameMaxBytes).toBe(LIMITS.ipcFrameMaxBytes);
    expect(PLUGIN_LIMITS.timeoutExitCode).toBe(WORKER_EXIT_CODES.timeout);
  });
});
