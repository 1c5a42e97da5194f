import { describe, expect, it } from 'vitest';
import { redact, shortExcerpt } from './mlflow-http.js';

describe('redact', () => {
  it('drops user:password and the secrets of signed URLs, and keeps the address as written', () => {
    expect(redact('https://alice:pw@mlflow.example.com:8443/')).toBe('https://mlflow.example.com:8443/');
    expect(redact('http://alice:pw@127.0.0.1:5000')).toBe('http://127.0.0.1:5000');
    expect(
      redact('https://bucket.s3.amazonaws.com/m/model.tar.gz?X-Amz-Credential=AKIA1&X-Amz-Signature=abc&part=1'),
    ).toBe('https://bucket.s3.amazonaws.com/m/model.tar.gz?X-Amz-Credential=***&X-Amz-Signature=***&part=1');
    expect(redact('not a url')).toBe('not a url');
  });
});

describe('shortExcerpt', () => {
  it('strips tags, scripts and styles, collapses whitespace, and stops at 80 characters', () => {
    expect(
      shortExcerpt('<html><head><style>p{}</style><script>x()</script></head><body>\n  <p>Bad   gateway</p></body>'),
    ).toBe('Bad gateway');
    const long = shortExcerpt('word '.repeat(100));
    expect(long.length).toBe(80);
    expect(long.endsWith('…')).toBe(true);
    expect(shortExcerpt('{"detail": "Not Found"}')).toBe('{"detail": "Not Found"}');
  });
});
