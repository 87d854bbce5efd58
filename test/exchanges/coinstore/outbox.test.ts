/**
 * The order in which a Coinstore session's messages leave (outbox.ts): a command's echo and resp
 * before the data it set in motion, a reserved answer (a replay's `param.size` batch) holding its
 * place until it is filled, and nothing sent twice or lost.
 */
import { describe, expect, it } from 'vitest';
import { Outbox } from '../../../exchanges/coinstore/outbox.js';

function recorder(): { sent: string[]; send: (what: string) => () => void } {
  const sent: string[] = [];
  return { sent, send: (what) => () => void sent.push(what) };
}

describe('coinstore outbox', () => {
  it('sends right away when nothing waits', () => {
    const o = new Outbox();
    const r = recorder();
    expect(o.idle).toBe(true);
    o.push(r.send('a'));
    o.pushData(r.send('b'));
    expect(r.sent).toEqual(['a', 'b']);
    expect(o.idle).toBe(true);
  });

  it("data a command sets in motion goes after the command's echo and resp", () => {
    const o = new Outbox();
    const r = recorder();
    o.command(() => {
      o.pushData(r.send('first push')); // a feed delivering synchronously inside subscribe
      expect(o.idle).toBe(false);
      o.push(r.send('echo'));
      o.push(r.send('resp'));
    });
    expect(r.sent).toEqual(['echo', 'resp', 'first push']);
    expect(o.idle).toBe(true);
  });

  it('a reserved answer holds its place: what is decided after it waits until it is filled', () => {
    const o = new Outbox();
    const r = recorder();
    o.push(r.send('echo'));
    o.push(r.send('resp'));
    const fill = o.reserve();
    o.pushData(r.send('push 1'));
    o.push(r.send('echo 2'));
    expect(r.sent).toEqual(['echo', 'resp']);
    expect(o.idle).toBe(false);
    fill(r.send('batch'));
    expect(r.sent).toEqual(['echo', 'resp', 'batch', 'push 1', 'echo 2']);
    fill(r.send('batch again')); // a second fill does nothing
    expect(r.sent).toHaveLength(5);
    expect(o.idle).toBe(true);
  });

  it('a reservation filled with nothing lets the line go; reservations fill in any order but leave in theirs', () => {
    const o = new Outbox();
    const r = recorder();
    const a = o.reserve();
    const b = o.reserve();
    o.push(r.send('after both'));
    b(r.send('b'));
    expect(r.sent).toEqual([]);
    a(null);
    expect(r.sent).toEqual(['b', 'after both']);
  });

  it('a command run while a reservation waits keeps its data behind its replies, all behind the reservation', () => {
    const o = new Outbox();
    const r = recorder();
    const fill = o.reserve();
    o.command(() => {
      o.pushData(r.send('push'));
      o.push(r.send('echo'));
    });
    expect(r.sent).toEqual([]);
    fill(r.send('batch'));
    expect(r.sent).toEqual(['batch', 'echo', 'push']);
  });

  it('clear drops what waits', () => {
    const o = new Outbox();
    const r = recorder();
    const fill = o.reserve();
    o.push(r.send('late'));
    o.clear();
    fill(r.send('batch'));
    expect(r.sent).toEqual([]);
    expect(o.idle).toBe(true);
  });
});
