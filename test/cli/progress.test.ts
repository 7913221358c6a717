import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createTrainingProgress, formatDuration } from '../../plugins/progress/index.js';

function sink(): { stream: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  return { stream, text: () => text };
}

describe('createTrainingProgress without a TTY', () => {
  it('logs one line per ~10% with the latest losses', () => {
    const out = sink();
    const p = createTrainingProgress({ total: 95, stream: out.stream, tty: false });
    for (let i = 1; i <= 95; i++) {
      if (i === 20) p.losses({ discriminator: -0.5 });
      if (i === 30) p.losses({ generator: 0.25, q: 1 });
      p.update(i);
    }
    p.stop();
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(10);
    expect(lines[0]).toMatch(/^\[dmgan\] 10\/95 \(11%\) ETA \S+ \| D – G – Q –$/);
    expect(lines[9]).toMatch(/^\[dmgan\] 95\/95 \(100%\) ETA 0s \| D -0\.5000 G 0\.2500 Q 1\.000$/);
  });
});

describe('formatDuration', () => {
  it('formats seconds, minutes and hours', () => {
    expect(formatDuration(12.4)).toBe('12s');
    expect(formatDuration(184)).toBe('3m04s');
    expect(formatDuration(3720)).toBe('1h02m');
    expect(formatDuration(NaN)).toBe('?');
  });
});
