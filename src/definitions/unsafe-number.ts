/**
 * A JSON number that a JavaScript number cannot hold exactly (an integer past ±2^53, or one that overflows).
 * The gateway's parser keeps its text: a string attribute receives the exact digits, a number attribute refuses it.
 */
export class UnsafeNumber {
  constructor(readonly text: string) {}
}
