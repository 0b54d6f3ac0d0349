import { ROOT_CONTEXT, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { AlwaysOnSampler, SamplingDecision } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { tracingRequested } from '../../src/telemetry/requested.js';
import { samplerFromEnv, WithoutHousekeeping } from '../../src/telemetry/sampler.js';

describe('tracingRequested: off unless the OTEL_* variables ask for traces', () => {
  it.each([
    [{}, false],
    [{ OTEL_SERVICE_NAME: 'folder-sync' }, false],
    [{ OTEL_TRACES_EXPORTER: 'none' }, false],
    [{ OTEL_TRACES_EXPORTER: 'otlp' }, true],
    [{ OTEL_TRACES_EXPORTER: 'console, otlp' }, true],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }, true],
    [{ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, false],
    [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'TRUE' }, false],
    [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'false' }, true],
  ])('%j → %s', (env, requested) => {
    expect(tracingRequested(env)).toBe(requested);
  });
});

describe('sampling', () => {
  const decide = (sampler: WithoutHousekeeping, name: string, context = ROOT_CONTEXT) =>
    sampler.shouldSample(context, '0af7651916cd43dd8448eb211c80319c', name, SpanKind.INTERNAL, {}, [])
      .decision;
  const sampler = new WithoutHousekeeping(new AlwaysOnSampler());

  it("drops the traces BullMQ's stalled-job checks and closes would start, and nothing else", () => {
    expect(decide(sampler, 'moveStalledJobsToWait events')).toBe(SamplingDecision.NOT_RECORD);
    expect(decide(sampler, 'startStalledCheckTimer reconcile')).toBe(SamplingDecision.NOT_RECORD);
    expect(decide(sampler, 'close events')).toBe(SamplingDecision.NOT_RECORD);
    expect(decide(sampler, 'process events')).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    const parent = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
    });
    // inside a trace (a worker resumed by a traced call) it is part of that trace
    expect(decide(sampler, 'moveStalledJobsToWait events', parent)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });

  it.each([
    [{}, 'ParentBased{root=AlwaysOnSampler'],
    [{ OTEL_TRACES_SAMPLER: 'always_off' }, 'AlwaysOffSampler'],
    [
      { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' },
      'ParentBased{root=TraceIdRatioBased{0.25}',
    ],
    [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '7' }, 'TraceIdRatioBased{1}'],
  ])('OTEL_TRACES_SAMPLER as the SDK reads it: %j', (env, described) => {
    expect(samplerFromEnv(env).toString()).toContain(described);
  });
});
