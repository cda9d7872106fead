/** The baseline of the bundle-size measurement: a workflow that imports nothing. */
export async function nothing(): Promise<string> {
  return 'done';
}
