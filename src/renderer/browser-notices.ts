/**
 * Browser mode's notifications (issue #14 item 8): the host's notices shown through the browser's
 * Notification API, once the user allowed it (Settings → Desktop). The Electron app shows system
 * notifications from its main process instead.
 */

/** Whether this browser can show notifications at all, and whether the user allowed them. */
export function browserNotifications(): 'unsupported' | NotificationPermission {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

export function showBrowserNotice(title: string, body: string): void {
  if (browserNotifications() !== 'granted') return;
  try {
    new Notification(title, { body });
  } catch {
    // Some browsers allow notifications only from a service worker: the status page says it anyway.
  }
}

/** Asks the user (the browser shows its own prompt); resolves with the answer. */
export async function askForBrowserNotifications(): Promise<'unsupported' | NotificationPermission> {
  if (browserNotifications() === 'unsupported') return 'unsupported';
  return Notification.requestPermission();
}
