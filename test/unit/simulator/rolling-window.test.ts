import { RollingWindow } from '../../../src/simulator/rate-limit';

describe('the simulator rolling window, counting by arrival', () => {
  it('counts a request handled after a later arrival at its own arrival time', () => {
    const w = new RollingWindow(3, 10_000);
    expect(w.take(1_000).allowed).toBe(true);
    expect(w.take(5_000).allowed).toBe(true);
    // Arrived at 2,000 but handled after the one of 5,000.
    expect(w.take(2_000).allowed).toBe(true);
    expect(w.take(10_500).allowed).toBe(false);
    // 1,000 has left the window at 11,000; 2,000 leaves it only at 12,000.
    expect(w.take(11_001).allowed).toBe(true);
    expect(w.take(11_500).allowed).toBe(false);
    expect(w.take(12_001).allowed).toBe(true);
  });
});
