// One v2 listener: what it is, and its traffic over the last hour (requests or connections per
// second, errors, response time where HAProxy times them, bytes) from the service's history.

import { lineChart } from './chart.js';
import { badge, facts, formatBytes, formatNumber, h, link, pageHead, panel, shortId } from './dom.js';
import { listenerKey, refreshListenerHistory } from './history.js';
import { latest, rates } from './traffic.js';
import { refId, selfLoading, v2 } from './v2api.js';

const HTTP = new Set(['HTTP', 'TERMINATED_HTTPS']);
const last = (values) => values.filter((v) => v != null).pop() ?? 0;

/**
 * The traffic panel of a listener ({element, update}); `update(listener)` redraws it from what
 * history.js has and fetches what is new. Usable on any page that shows a listener.
 */
export function listenerTraffic(listenerId) {
  const box = h('div', { class: 'traffic', 'data-listener-traffic': listenerId });
  let protocol = 'HTTP';
  const draw = () => {
    const key = listenerKey(listenerId);
    const series = rates(key);
    const http = HTTP.has(protocol);
    const sample = latest(key);
    const ms = (v) => `${formatNumber(v)} ms`;
    const perSecond = (v) => `${formatNumber(v)}/s`;
    const charts = [
      http ? lineChart({ title: 'Requests per second', times: series.times, format: formatNumber, minTop: 4, series: [
        { label: 'requests/s', values: series.requests, className: 'series-1' },
        { label: 'new connections/s', values: series.connections, className: 'series-2' }] })
        : lineChart({ title: 'Connections per second', times: series.times, format: formatNumber, minTop: 4, series: [
          { label: 'new connections/s', values: series.connections, className: 'series-1' },
          { label: 'active connections', values: series.active, className: 'series-2' }] }),
      lineChart({ title: 'Errors per second', times: series.times, format: perSecond, minTop: 1, series: [
        { label: http ? 'request errors/s' : 'errors/s', values: series.errors, className: 'series-1' },
        ...(http ? [{ label: '5xx responses/s', values: series.errors5xx, className: 'series-2' }] : [])] }),
      series.responseTime.some((v) => v != null)
        ? lineChart({ title: 'Response time', times: series.times, format: ms, minTop: 10, series: [
          { label: 'average of the last 1024 responses', values: series.responseTime, className: 'series-1' }] }) : null,
      lineChart({ title: 'Bytes per second', times: series.times, format: (v) => formatBytes(v), minTop: 1000, series: [
        { label: 'in (from clients)', values: series.bytesIn, className: 'series-1' },
        { label: 'out (to clients)', values: series.bytesOut, className: 'series-2' }] }),
    ].filter(Boolean);
    box.replaceChildren(
      h('p', { class: 'now-values', 'data-testid': 'listener-traffic-now' },
        http ? `Now: ${formatNumber(last(series.requests))} requests/s, ${formatNumber(last(series.errors5xx))} 5xx/s, `
          : `Now: ${formatNumber(last(series.connections))} connections/s, `,
        `${sample ? sample.active_connections : 0} active. `,
        `Totals: ${sample?.requests ?? sample?.total_connections ?? 0} ${http ? 'requests' : 'connections'}.`),
      h('div', { class: 'grid-2' }, charts),
      h('p', { class: 'hint' }, 'The last hour from the service\'s history: a sample of the listener\'s counters every 10 s while it has traffic.'));
  };
  draw();
  return {
    element: box,
    update(listener) {
      if (listener) protocol = listener.protocol;
      refreshListenerHistory(listenerId).then(draw, () => {});
    },
  };
}

export const listenerPage = {
  title: 'Listener',
  needs: [],
  mount({ id }) {
    const head = pageHead('Listener', '');
    const title = head.querySelector('h1');
    const about = h('div');
    const traffic = listenerTraffic(id);
    const error = h('p', { class: 'form-error', role: 'alert' });
    const element = h('div', { class: 'listener-page', 'data-listener': id }, error, head,
      panel('Overview', null, about), panel('Traffic', null, traffic.element));
    const draw = (listener) => {
      error.textContent = '';
      title.textContent = `Listener ${listener.name || `${listener.protocol}:${listener.protocol_port}`}`;
      document.title = `${title.textContent} · lbaas`;
      about.replaceChildren(facts([
        ['Status', h('span', {}, badge(listener.provisioning_status), ' ', badge(listener.operating_status))],
        ['Protocol and port', h('span', { class: 'mono' }, `${listener.protocol}:${listener.protocol_port}`)],
        ['Load balancer', link(shortId(listener.loadbalancers[0]?.id), `#/loadbalancers/${listener.loadbalancers[0]?.id}`)],
        ['Default pool', listener.default_pool_id ? h('span', { class: 'mono' }, shortId(listener.default_pool_id)) : 'none'],
        listener.default_tls_container_ref ? ['Certificate', link(shortId(refId(listener.default_tls_container_ref)), '#/certificates')] : null,
        listener.sni_container_refs?.length ? ['SNI certificates', String(listener.sni_container_refs.length)] : null,
        ['L7 policies', String(listener.l7policies.length)],
        ['Id', h('span', { class: 'mono' }, listener.id)],
      ]));
      traffic.update(listener);
    };
    const failed = (exc) => {
      error.textContent = exc.status === 404 ? 'This listener does not exist (any more).' : `Could not load: ${exc.summary ?? exc.message}`;
    };
    const update = selfLoading(async () => (await v2.get(`/v2.0/lbaas/listeners/${id}`)).listener, draw, failed);
    return { element, update };
  },
};
