/**
 * Inverts a square matrix by Gauss–Jordan elimination with partial pivoting.
 *
 * `matrix` is size × size, row-major, and is overwritten (pass a copy to keep it); the inverse is
 * returned, row-major. O(size³) time. Throws a RangeError when a pivot is below 1e-300 in magnitude:
 * the matrix is singular, which for I − Q of an absorbing chain means a transient state that cannot
 * reach absorption — a bug upstream, never a data condition.
 */
export function invertMatrix(matrix: Float64Array, size: number): Float64Array {
  const inverse = new Float64Array(size * size);
  for (let i = 0; i < size; i++) inverse[i * size + i] = 1;

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
    if (pivotAbs < 1e-300) throw new RangeError(`singular matrix at column ${col}`);
    if (pivotRow !== col) {
      swapRows(matrix, size, col, pivotRow);
      swapRows(inverse, size, col, pivotRow);
    }

    const pivot = matrix[col * size + col]!;
    for (let k = 0; k < size; k++) {
      matrix[col * size + k]! /= pivot;
      inverse[col * size + k]! /= pivot;
    }
    for (let row = 0; row < size; row++) {
      if (row === col) continue;
      const factor = matrix[row * size + col]!;
      if (factor === 0) continue;
      for (let k = 0; k < size; k++) {
        matrix[row * size + k]! -= factor * matrix[col * size + k]!;
        inverse[row * size + k]! -= factor * inverse[col * size + k]!;
      }
    }
  }
  return inverse;
}

function swapRows(matrix: Float64Array, size: number, a: number, b: number): void {
  for (let k = 0; k < size; k++) {
    const tmp = matrix[a * size + k]!;
    matrix[a * size + k] = matrix[b * size + k]!;
    matrix[b * size + k] = tmp;
  }
}
