// The current conversation's session id, kept in localStorage so a reload continues it.
// Storage can be unavailable (privacy modes, quota): then the id lives for this page only.

const KEY = 'airouter.sessionId';
let fallback: string | null = null;

export function storedSessionId(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return fallback;
  }
}

export function rememberSessionId(sessionId: string): void {
  fallback = sessionId;
  try {
    localStorage.setItem(KEY, sessionId);
  } catch {
    // Kept in memory only.
  }
}

export function forgetSessionId(): void {
  fallback = null;
  try {
    localStorage.removeItem(KEY);
  } catch {
    // Nothing stored.
  }
}
