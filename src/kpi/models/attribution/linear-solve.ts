/**
 * Solves A x = b by Gaussian elimination with partial pivoting.
 *
 * `matrix` is size × size, row-major; it and `rhs` are overwritten (pass copies to keep them).
 * O(size³) time, no allocation beyond the result. Throws a RangeError when a pivot is below 1e-300
 * in magnitude: the system is singular, which for an absorbing chain means a transient state that
 * cannot reach absorption — a bug upstream, never a data condition.
 */
export function solveLinearSystem(matrix: Float64Array, rhs: Float64Array, size: number): Float64Array {
  for (let col = 0; col < size; col++) {
    let pivotRow = col;
    let pivotAbs = Math.abs(matrix[col * size + col]!);
    for (let row = col + 1; row < size; row++) {
      const candidate = Math.abs(matrix[row * size + col]!);
      if (candidate > pivotAbs) {
        pivotAbs = candidate;
        pivotRow = row;
      }
    }
    if (pivotAbs < 1e-300) throw new RangeError(`singular system at column ${col}`);
    if (pivotRow !== col) swapRows(matrix, rhs, size, col, pivotRow);

    const pivot = matrix[col * size + col]!;
    for (let row = col + 1; row < size; row++) {
      const factor = matrix[row * size + col]! / pivot;
      if (factor === 0) continue;
      matrix[row * size + col] = 0;
      for (let k = col + 1; k < size; k++) matrix[row * size + k]! -= factor * matrix[col * size + k]!;
      rhs[row]! -= factor * rhs[col]!;
    }
  }

  const x = new Float64Array(size);
  for (let row = size - 1; row >= 0; row--) {
    let sum = rhs[row]!;
    for (let k = row + 1; k < size; k++) sum -= matrix[row * size + k]! * x[k]!;
    x[row] = sum / matrix[row * size + row]!;
  }
  return x;
}

function swapRows(matrix: Float64Array, rhs: Float64Array, size: number, a: number, b: number): void {
  for (let k = 0; k < size; k++) {
    const tmp = matrix[a * size + k]!;
    matrix[a * size + k] = matrix[b * size + k]!;
    matrix[b * size + k] = tmp;
  }
  const tmp = rhs[a]!;
  rhs[a] = rhs[b]!;
  rhs[b] = tmp;
}
