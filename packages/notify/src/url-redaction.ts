/**
 * Masks the secret parts of Apprise URLs so that errors and logs can name a URL without leaking its
 * password or token: `mailto://user:pass@host` → `mailto://user:***@host`, `tgram://123456:AAbbCC/42`
 * → `tgram://12***` + `/42`. Best effort, erring on the side of masking: a password is always masked,
 * so are query values whose name suggests a secret (`token=`, `apikey=`, `+Authorization=`…), and token-like
 * host/path segments (8+ characters mixing letters and digits, or 20+ characters).
 */

const MASK = "***";
const URL_PARTS = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/i;
/** Schemes whose host is a real host name, never a token. */
const HOST_ADDRESSED = new Set([
  "http",
  "https",
  "json",
  "jsons",
  "xml",
  "xmls",
  "form",
  "forms",
  "mailto",
  "mailtos",
]);
const SECRET_PARAM = /pass|pwd|token|key|secret|auth|sig|cred|bearer/i;

interface Redaction {
  text: string;
  secrets: string[];
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function looksLikeToken(raw: string): boolean {
  const text = decode(raw);
  if (text.length >= 20) return true;
  return text.length >= 8 && /[0-9]/.test(text) && /[a-z]/i.test(text);
}

function maskToken(raw: string, secrets: string[]): string {
  secrets.push(raw, decode(raw));
  return `${raw.slice(0, 2)}${MASK}`;
}

function redactAuthority(authority: string, hostIsName: boolean, secrets: string[]): string {
  const at = authority.lastIndexOf("@");
  const userinfo = at >= 0 ? authority.slice(0, at) : undefined;
  const hostport = at >= 0 ? authority.slice(at + 1) : authority;
  let user = "";
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(":");
    const name = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    const shownName = looksLikeToken(name) ? maskToken(name, secrets) : name;
    if (colon >= 0) {
      const password = userinfo.slice(colon + 1);
      if (password) secrets.push(password, decode(password));
      user = `${shownName}:${MASK}@`;
    } else {
      user = `${shownName}@`;
    }
  }
  const host = !hostIsName && looksLikeToken(hostport) ? maskToken(hostport, secrets) : hostport;
  return user + host;
}

function redactQuery(query: string, secrets: string[]): string {
  const pairs = query
    .slice(1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      if (eq < 0) return pair;
      const key = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (!value || !SECRET_PARAM.test(decode(key))) return pair;
      secrets.push(value, decode(value));
      return `${key}=${MASK}`;
    });
  return `?${pairs.join("&")}`;
}

function analyze(url: string): Redaction {
  const secrets: string[] = [];
  const parts = URL_PARTS.exec(url.trim());
  if (!parts) return { text: "<unparseable URL>", secrets: [url] };
  const [, scheme = "", authority = "", path = "", query, fragment] = parts;
  const hostIsName = HOST_ADDRESSED.has(scheme.toLowerCase());
  const shownAuthority = redactAuthority(authority, hostIsName, secrets);
  const shownPath = path
    .split("/")
    .map((segment) => (looksLikeToken(segment) ? maskToken(segment, secrets) : segment))
    .join("/");
  const shownQuery = query ? redactQuery(query, secrets) : "";
  const shownFragment = fragment ? `#${MASK}` : "";
  if (fragment) secrets.push(fragment.slice(1));
  return { text: `${scheme}://${shownAuthority}${shownPath}${shownQuery}${shownFragment}`, secrets };
}

/** `url` with its password, tokens and secret query values replaced by `***` (safe to log). */
export function redactUrl(url: string): string {
  return analyze(url).text;
}

/** Each URL redacted, joined with ", " (for error messages naming the targets). */
export function describeUrls(urls: readonly string[]): string {
  return urls.map(redactUrl).join(", ");
}

/**
 * `text` (e.g. a tool's output) with every occurrence of one of `urls`, and of any secret part of
 * them (password, token, secret query value, raw or percent-decoded), replaced by its masked form.
 */
export function redactSecrets(text: string, urls: readonly string[]): string {
  let result = text;
  const secrets = new Set<string>();
  for (const url of urls) {
    const { text: shown, secrets: found } = analyze(url);
    result = result.split(url).join(shown);
    for (const secret of found) if (secret.length >= 3) secrets.add(secret);
  }
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    result = result.split(secret).join(MASK);
  }
  return result;
}
