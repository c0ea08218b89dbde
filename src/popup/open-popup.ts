/** The popup's size: room for a provider's sign-in form, small enough to look like a dialog. */
const WIDTH = 500;
const HEIGHT = 640;

/**
 * Opens an empty popup window centred over this one, or returns null when the browser blocks it.
 * Empty (`about:blank`, this origin) because it must open within the user's click, before the
 * authorization URL exists; the login points it at the provider once the request is ready.
 */
export function openPopup(): Window | null {
  const left = Math.round(screenX + (outerWidth - WIDTH) / 2);
  const top = Math.round(screenY + (outerHeight - HEIGHT) / 2);
  try {
    // `_blank`: a new window per call, so two logins at once never share (and re-point) one window.
    return window.open('', '_blank', `popup,width=${WIDTH},height=${HEIGHT},left=${left},top=${top}`);
  } catch {
    // Some embedded browsers throw instead of returning null.
    return null;
  }
}
