/**
 * Why a remote is not connected, in plain words for the Status page: the socket error's code
 * (data, not text) mapped to what a user can act on; anything else keeps its own message.
 */
const BY_CODE: Record<string, string> = {
  ENOTFOUND: 'Host not found: check the address, or your internet connection.',
  EAI_AGAIN: 'Host not found (the name lookup failed): check your internet connection.',
  ECONNREFUSED: 'Connection refused: nothing listens on that port. Is the server running?',
  ECONNRESET: 'The connection was cut by the other side.',
  ETIMEDOUT: 'No answer in time: the server is unreachable, or a firewall drops the connection.',
  EHOSTUNREACH: 'Host unreachable: check your network.',
  ENETUNREACH: 'Network unreachable: check your network.',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS refused: the server uses a self-signed certificate.',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS refused: the server’s certificate chain is self-signed.',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS refused: the server’s certificate cannot be verified.',
  CERT_HAS_EXPIRED: 'TLS refused: the server’s certificate has expired.',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS refused: the certificate is for another host name.',
  EPROTO: 'TLS failed: is the server really using TLS on that port (or the other way round)?',
  closed: 'The server closed the connection; reconnecting.',
};

export function remoteProblemWords(failure: { code: string | null; message: string } | null): string | null {
  if (!failure) return 'Connecting…';
  if (failure.code && BY_CODE[failure.code]) return BY_CODE[failure.code]!;
  if (/Unexpected server response: (\d+)/.exec(failure.message)) return `The server refused the connection (${failure.message.replace('Unexpected server response: ', 'HTTP ')}).`;
  return failure.message;
}
