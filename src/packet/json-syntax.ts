// Where JSON text first breaks. Node 20's JSON.parse often reports no position
// ("Unexpected token 'o', ... is not valid JSON"), and packet authors need a line and column.

/** Offset of the first character that makes `text` invalid JSON, or undefined if it is valid. */
export function jsonErrorOffset(text: string): number | undefined {
  let pos = 0;
  const fail = (): never => {
    throw new JsonSyntaxStop(pos);
  };
  const ws = (): void => {
    while (pos < text.length && ' \t\n\r'.includes(text[pos]!)) pos++;
  };
  const expect = (ch: string): void => {
    if (text[pos] !== ch) fail();
    pos++;
  };
  const literal = (word: string): void => {
    for (const ch of word) expect(ch);
  };
  const digits = (): void => {
    if (!/[0-9]/.test(text[pos] ?? '')) fail();
    while (/[0-9]/.test(text[pos] ?? '')) pos++;
  };
  const string = (): void => {
    expect('"');
    for (;;) {
      const ch = text[pos];
      if (ch === undefined || ch < ' ') fail();
      pos++;
      if (ch === '"') return;
      if (ch === '\\') {
        const esc = text[pos];
        if (esc === 'u') {
          pos++;
          for (let i = 0; i < 4; i++) {
            if (!/[0-9a-fA-F]/.test(text[pos] ?? '')) fail();
            pos++;
          }
        } else if (esc !== undefined && '"\\/bfnrt'.includes(esc)) pos++;
        else fail();
      }
    }
  };
  const number = (): void => {
    if (text[pos] === '-') pos++;
    if (text[pos] === '0') pos++;
    else digits();
    if (text[pos] === '.') {
      pos++;
      digits();
    }
    if (text[pos] === 'e' || text[pos] === 'E') {
      pos++;
      if (text[pos] === '+' || text[pos] === '-') pos++;
      digits();
    }
  };
  const members = <T>(close: string, member: () => T): void => {
    ws();
    if (text[pos] === close) {
      pos++;
      return;
    }
    for (;;) {
      member();
      ws();
      if (text[pos] === close) {
        pos++;
        return;
      }
      expect(',');
      ws();
    }
  };
  const value = (): void => {
    ws();
    const ch = text[pos];
    if (ch === '{') {
      pos++;
      members('}', () => {
        string();
        ws();
        expect(':');
        value();
      });
    } else if (ch === '[') {
      pos++;
      members(']', value);
    } else if (ch === '"') string();
    else if (ch === 't') literal('true');
    else if (ch === 'f') literal('false');
    else if (ch === 'n') literal('null');
    else if (ch === '-' || /[0-9]/.test(ch ?? '')) number();
    else fail();
  };
  try {
    value();
    ws();
    if (pos < text.length) fail();
    return undefined;
  } catch (err) {
    if (err instanceof JsonSyntaxStop) return err.offset;
    throw err;
  }
}

class JsonSyntaxStop {
  constructor(readonly offset: number) {}
}
