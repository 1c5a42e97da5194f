import { describe, expect, it } from 'vitest';
import { type Route, RouteTable } from './route-table.js';

const route = (label: string): Route => ({ label, protocol: 'mlflow', readsBody: false, handle: () => undefined });

describe('RouteTable', () => {
  const ping = route('/ping');
  const invocations = route('/invocations');
  const model = route('/v2/models/:name');
  const versioned = route('/v2/models/:name/versions/:version/infer');
  const table = new RouteTable()
    .add('GET', '/ping', ping)
    .add('POST', '/invocations', invocations)
    .add('GET', '/v2/models/:name', model)
    .add('POST', '/v2/models/:name/versions/:version/infer', versioned);

  it('finds static and templated routes; a GET route answers HEAD too', () => {
    expect(table.match('GET', '/ping')).toMatchObject({ kind: 'route', route: ping });
    expect(table.match('HEAD', '/ping')).toMatchObject({ kind: 'route', route: ping });
    expect(table.match('POST', '/invocations')).toMatchObject({ kind: 'route', route: invocations });
    expect(table.match('GET', '/v2/models/iris')).toEqual({ kind: 'route', route: model, params: { name: 'iris' } });
    expect(table.match('POST', '/v2/models/ir%20is/versions/2/infer')).toEqual({
      kind: 'route',
      route: versioned,
      params: { name: 'ir is', version: '2' },
    });
  });

  it('tells a path asked with another method (and which methods it has) from a path it does not have', () => {
    expect(table.match('POST', '/ping')).toEqual({ kind: 'method', allowed: 'GET, HEAD' });
    expect(table.match('GET', '/invocations')).toEqual({ kind: 'method', allowed: 'POST' });
    expect(table.match('GET', '/nope')).toEqual({ kind: 'none' });
    expect(table.match('GET', '/ping/')).toEqual({ kind: 'none' });
    // An empty or undecodable parameter matches nothing.
    expect(table.match('GET', '/v2/models/')).toEqual({ kind: 'none' });
    expect(table.match('GET', '/v2/models/%E0%A4%A')).toEqual({ kind: 'none' });
  });
});
