// The status dot: polls GET /health and shows green (ok), amber (degraded, e.g. the router is
// restarting) or red (backend unreachable). Polls faster while not ok, to show recovery soon.

import { fetchHealth, type Health } from './api.ts';

export type HealthState = 'unknown' | 'ok' | 'degraded' | 'down';

const OK_INTERVAL_MS = 5000;
const NOT_OK_INTERVAL_MS = 2000;
const PROBE_TIMEOUT_MS = 4000;

export interface HealthMonitor {
  /** Probe now (e.g. after a failed request) instead of waiting for the next tick. */
  refresh(): void;
  stop(): void;
}

function describe(body: Health): string {
  const parts: string[] = [];
  const router = body.router;
  if (router !== undefined) {
    const how = [router.pid !== undefined ? `pid ${router.pid}` : '', router.owned === false ? 'adopted' : '',
      router.restarts ? `${router.restarts} restarts` : ''].filter(Boolean).join(', ');
    parts.push(`router ${router.state ?? (router.healthy ? 'healthy' : 'unhealthy')}${how ? ` (${how})` : ''}`);
  }
  if (body.store !== undefined) {
    const sessions = body.store.sessions !== undefined ? ` (${body.store.sessions} sessions)` : '';
    parts.push(`store ${body.store.backend ?? 'unknown'}${sessions}`);
  }
  return parts.join(' · ');
}

export function monitorHealth(element: HTMLElement): HealthMonitor {
  const text = element.querySelector<HTMLElement>('.status-text');
  let timer: number | undefined;
  let inFlight = false;
  let stopped = false;

  const show = (state: HealthState, label: string, details: string): void => {
    element.dataset.state = state;
    if (text !== null) text.textContent = label;
    element.title = details;
  };

  const probe = async (): Promise<void> => {
    if (inFlight || stopped) return;
    inFlight = true;
    window.clearTimeout(timer);
    let state: HealthState = 'down';
    try {
      const { body } = await fetchHealth(AbortSignal.timeout(PROBE_TIMEOUT_MS));
      const status = (body.status ?? '').toLowerCase();
      const details = describe(body);
      if (status === 'ok' || status === 'healthy') {
        state = 'ok';
        show(state, 'Connected', details || 'backend healthy');
      } else {
        state = 'degraded';
        const router = body.router?.state?.toLowerCase();
        show(state, router && router !== 'running' ? `Degraded · router ${router}` : 'Degraded',
          details || `backend status: ${status || 'unknown'}`);
      }
    } catch (err) {
      show(state, 'Backend unreachable', err instanceof Error ? err.message : String(err));
    } finally {
      inFlight = false;
      if (!stopped) timer = window.setTimeout(probe, state === 'ok' ? OK_INTERVAL_MS : NOT_OK_INTERVAL_MS);
    }
  };

  void probe();
  return {
    refresh: () => void probe(),
    stop: () => {
      stopped = true;
      window.clearTimeout(timer);
    },
  };
}
