import Anthropic, { type APIError as AnthropicAPIError } from '@anthropic-ai/sdk';
import { ApplicationFailure } from '@temporalio/common';
import OpenAI, { type APIError as OpenAIAPIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { classifyProviderError, parseRetryAfterSeconds, providerRequestId, shortLine } from '../../../src/providers/errors.js';
import { failureDetails, laneFailure } from '../../../src/failures.js';

const anthropicBody = (type: string, message: string) => ({ type: 'error', error: { type, message } });

function anthropicError(status: number, message: string, headers: Record<string, string> = {}): AnthropicAPIError {
  return Anthropic.APIError.generate(status, anthropicBody('x_error', message), undefined, new Headers({ 'request-id': 'req_a1', ...headers }));
}

function openaiError(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): OpenAIAPIError {
  return OpenAI.APIError.generate(status, { error: body }, undefined, new Headers({ 'x-request-id': 'req_o1', ...headers }));
}

describe('providers/errors', () => {
  it.each([
    [401, 'provider_auth', true],
    [403, 'provider_auth', true],
    [429, 'provider_rate_limit', false],
    [500, 'provider_internal', false],
    [529, 'provider_internal', false],
    [404, 'prompt_delivery', false],
    [422, 'prompt_delivery', false],
  ])('maps HTTP %i to %s (nonRetryable=%s)', (status, cls, nonRetryable) => {
    const f = classifyProviderError(anthropicError(status, 'something happened'), 'anthropic');
    expect(f.type).toBe(cls);
    expect(f.nonRetryable).toBe(nonRetryable);
    expect(failureDetails(f).requestId).toBe('req_a1');
    expect(failureDetails(f).status).toBe(status);
  });

  it.each([
    ['anthropic', anthropicError(400, 'prompt is too long: 210000 tokens > 200000 maximum')],
    ['anthropic', anthropicError(413, 'Prompt is too long for the context window')],
    ['openai', openaiError(400, { message: "This model's maximum context length is 128000 tokens.", type: 'invalid_request_error', code: 'context_length_exceeded' })],
    ['openai', openaiError(400, { message: 'too big', type: 'invalid_request_error', code: 'context_length_exceeded' })],
  ] as const)('recognises a context-window refusal from %s', (provider, err) => {
    const f = classifyProviderError(err, provider);
    expect(f.type).toBe('context_window');
    expect(failureDetails(f).hint).toMatch(/compact/i);
  });

  it('treats other 400s as prompt_delivery, not context_window', () => {
    const f = classifyProviderError(anthropicError(400, 'tools.0.name: String should match pattern'), 'anthropic');
    expect(f.type).toBe('prompt_delivery');
    expect(f.type).not.toBe('context_window');
  });

  it('keeps the OpenAI x-request-id', () => {
    const f = classifyProviderError(openaiError(429, { message: 'slow down', type: 'requests' }, { 'retry-after': '7' }), 'openai');
    expect(failureDetails(f)).toMatchObject({ requestId: 'req_o1', retryAfterSeconds: 7, provider: 'openai' });
  });

  it('never dumps a raw body into the message: one short line at most', () => {
    const huge = `line one\n${'x'.repeat(5000)}\n{"secret":"body"}`;
    const f = classifyProviderError(anthropicError(500, huge), 'anthropic');
    expect(f.message).not.toContain('\n');
    expect(f.message.length).toBeLessThan(260);
    expect(f.message).not.toContain('"secret"');
    // A body without a message field is not stringified into the failure.
    const noMessage = Anthropic.APIError.generate(502, { weird: { nested: 'json' } }, undefined, new Headers());
    const g = classifyProviderError(noMessage, 'anthropic');
    expect(g.message).not.toContain('nested');
    expect(g.type).toBe('provider_internal');
  });

  it('maps connection errors and timeouts to provider_internal', () => {
    const conn = classifyProviderError(new Anthropic.APIConnectionError({ message: 'Connection error.', cause: new Error('ECONNREFUSED 127.0.0.1:1') }), 'anthropic');
    expect(conn.type).toBe('provider_internal');
    expect(conn.message).toContain('ECONNREFUSED');
    expect(failureDetails(conn).connection).toBe(true);
    const timeout = classifyProviderError(new OpenAI.APIConnectionTimeoutError(), 'openai');
    expect(timeout.type).toBe('provider_internal');
    expect(failureDetails(timeout).timeout).toBe(true);
  });

  it('maps user aborts to cancelled', () => {
    expect(classifyProviderError(new Anthropic.APIUserAbortError(), 'anthropic').type).toBe('cancelled');
    expect(classifyProviderError(new OpenAI.APIUserAbortError(), 'openai').type).toBe('cancelled');
  });

  it('passes an existing lane failure through unchanged', () => {
    const original = laneFailure('provider_auth', 'no key');
    expect(classifyProviderError(original, 'openai')).toBe(original);
  });

  it('classifies a non-HTTP error as provider_internal and names it', () => {
    const f = classifyProviderError(new TypeError('cannot read x'), 'openai');
    expect(f).toBeInstanceOf(ApplicationFailure);
    expect(f.type).toBe('provider_internal');
    expect(f.message).toContain('TypeError');
  });

  it('parses retry-after as seconds, milliseconds or an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfterSeconds(new Headers({ 'retry-after': '3' }), now)).toBe(3);
    expect(parseRetryAfterSeconds(new Headers({ 'retry-after': '1.5' }), now)).toBe(2);
    expect(parseRetryAfterSeconds(new Headers({ 'retry-after-ms': '2500' }), now)).toBe(3);
    expect(parseRetryAfterSeconds(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:10 GMT' }), now)).toBe(10);
    expect(parseRetryAfterSeconds(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(parseRetryAfterSeconds(new Headers(), now)).toBeUndefined();
    expect(parseRetryAfterSeconds({ 'retry-after': '4' }, now)).toBe(4);
  });

  it('reads request ids from the SDK field or either header', () => {
    expect(providerRequestId({ requestID: 'r1' })).toBe('r1');
    expect(providerRequestId({ headers: new Headers({ 'x-request-id': 'r2' }) })).toBe('r2');
    expect(providerRequestId({ headers: { 'request-id': 'r3' } })).toBe('r3');
    expect(providerRequestId('nope')).toBeUndefined();
  });

  it('shortens text to one line', () => {
    expect(shortLine('a\n  b\tc')).toBe('a b c');
    expect(shortLine('x'.repeat(500)).length).toBe(160);
  });
});
