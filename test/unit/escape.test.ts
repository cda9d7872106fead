import { forMarkdown, forTerminal, jsonForTerminal } from '../../src/core/escape';

describe('escaping values a sender controls', () => {
  test('for a terminal: ANSI, OSC, line breaks and C1 controls become visible escapes', () => {
    const hostile = 'ok\u001b[2J\u001b]52;c;aGk=\u0007\r\nfake line\u009b31m\u2028';
    const shown = forTerminal(hostile);
    expect(shown).toBe('ok\\u001b[2J\\u001b]52;c;aGk=\\u0007\\u000d\\u000afake line\\u009b31m\\u2028');
    expect(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(shown)).toBe(false);
    expect(forTerminal('plain text, ünïcödé ✓')).toBe('plain text, ünïcödé ✓');
  });

  test('for markdown: every character markdown gives a meaning to is escaped', () => {
    expect(forMarkdown('a|b `c` *d* _e_ [f](g) <h> #i !j ~k {l}')).toBe('a\\|b \\`c\\` \\*d\\* \\_e\\_ \\[f\\]\\(g\\) \\<h\\> \\#i \\!j \\~k \\{l\\}');
    // The escape's own backslash is escaped too, so markdown shows it as written.
    expect(forMarkdown('line\nbreak')).toBe('line\\\\u000abreak');
  });

  test('JSON for a terminal stays valid JSON and carries no raw control character', () => {
    const value = { ua: 'x\u009b2J\u2028y\u001b' };
    const text = jsonForTerminal(value);
    expect(JSON.parse(text)).toEqual(value);
    expect(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(text)).toBe(false);
  });
});
