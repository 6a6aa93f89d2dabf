<?php

declare(strict_types=1);

namespace Pushio;

use Pushio\Exception\AnswerException;
use Pushio\Exception\FailException;
use Pushio\Exception\NetworkException;
use Pushio\Exception\TimeoutException;

/**
 * Client calls pushio's publish API (the api.addr listener) with php-curl.
 *
 * Every call is one POST with an urlencoded body (a batch: a JSON body) and
 * `Accept: application/json`; the answer comes back as an array, e.g.
 * ['result' => 'ok', 'online' => ['alice'], 'offline' => []]. A `fail`
 * answer, a failed connection, a timeout and a foreign answer throw the
 * subclasses of Exception\PushioException; a bad argument throws
 * \InvalidArgumentException before anything is sent.
 *
 * Data: a PHP string is sent as `content` (pushio escapes it as
 * htmlspecialchars, as web-msg-sender did); any other value (array, number,
 * bool, null, object) as `json`, delivered unescaped as the event's argument.
 *
 * A Client holds one curl handle (connections are kept alive between
 * calls); use one per process or thread, not one shared between threads.
 */
final class Client
{
    /** @var string */
    private $url;
    /** @var string the URL's path, as requests are signed */
    private $path;
    /** @var string api.secret, or "" for an open API */
    private $secret;
    /** @var bool api.signature: sign each request rather than send the secret */
    private $signature;
    /** @var string auth.secret, for loginToken */
    private $authSecret;
    /** @var int milliseconds */
    private $timeoutMs;
    /** @var int milliseconds */
    private $connectTimeoutMs;
    /** @var resource|\CurlHandle|null */
    private $curl;

    private const OPTIONS = ['secret', 'signature', 'auth_secret', 'timeout', 'connect_timeout'];

    /** @var string[] the list fields of a batch item */
    private const LISTS = ['to', 'uid', 'group', 'client', 'exclude'];

    /**
     * @param string $url the API's URL, e.g. http://127.0.0.1:2121
     * @param array<string, mixed> $options
     *   - secret (string): api.secret; sent as "Authorization: Bearer …"
     *   - signature (bool): api.signature is on: sign every request with the
     *     secret instead of sending it (auth_timestamp, auth_nonce, auth_signature)
     *   - auth_secret (string): auth.secret, for loginToken()
     *   - timeout (float, seconds, default 5): bound on a whole call
     *   - connect_timeout (float, seconds, default: timeout): bound on connecting
     */
    public function __construct(string $url, array $options = [])
    {
        $parts = parse_url($url);
        if ($parts === false || !isset($parts['scheme'], $parts['host'])
            || !in_array(strtolower($parts['scheme']), ['http', 'https'], true)) {
            throw new \InvalidArgumentException("pushio: url \"$url\": want http://host:port or https://host:port");
        }
        if (isset($parts['query']) || isset($parts['fragment'])) {
            throw new \InvalidArgumentException("pushio: url \"$url\": want no query or fragment");
        }
        $unknown = array_diff(array_keys($options), self::OPTIONS);
        if ($unknown !== []) {
            throw new \InvalidArgumentException('pushio: unknown option ' . implode(', ', $unknown)
                . '; known: ' . implode(', ', self::OPTIONS));
        }
        $this->url = $url;
        $this->path = isset($parts['path']) && $parts['path'] !== '' ? $parts['path'] : '/';
        $this->secret = (string) ($options['secret'] ?? '');
        $this->signature = (bool) ($options['signature'] ?? false);
        $this->authSecret = (string) ($options['auth_secret'] ?? '');
        if ($this->signature && $this->secret === '') {
            throw new \InvalidArgumentException('pushio: option signature needs option secret (api.secret)');
        }
        $timeout = (float) ($options['timeout'] ?? 5.0);
        $connect = (float) ($options['connect_timeout'] ?? $timeout);
        if ($timeout <= 0 || $connect <= 0) {
            throw new \InvalidArgumentException('pushio: timeout and connect_timeout must be positive seconds');
        }
        $this->timeoutMs = (int) ceil($timeout * 1000);
        $this->connectTimeoutMs = (int) ceil($connect * 1000);
    }

    /**
     * publish pushes $data as $event to the pages of the uids $to, or to
     * every page when $to is null (a broadcast). $targets adds more targets
     * of the same push: 'group' => G|[G…], 'client' => CID|[CID…], and
     * 'exclude' => CID|[CID…] (pages left out, e.g. the sender's). A page
     * matched several times gets one copy.
     *
     * @param string|string[]|null $to
     * @param mixed $data a string (content, escaped) or any JSON value
     * @param array<string, string|string[]> $targets
     * @return array{result: string} 'ok' if any target reached a page, else
     *   'offline'; and each target's state: online, offline (uids),
     *   groups and clients ({online: [], offline: []})
     */
    public function publish($to, $data = '', ?string $event = null, array $targets = []): array
    {
        $fields = ['type' => 'publish'] + self::message($data, $event);
        if ($to !== null) {
            $fields['to'] = self::names('to', $to);
        }
        return $this->call($fields + self::targets($targets));
    }

    /**
     * toGroup pushes $data as $event to every page in the groups; see
     * publish for $targets and the answer.
     *
     * @param string|string[] $groups
     * @param mixed $data
     * @param array<string, string|string[]> $targets
     */
    public function toGroup($groups, $data = '', ?string $event = null, array $targets = []): array
    {
        $fields = ['type' => 'publish', 'group' => self::names('group', $groups)] + self::message($data, $event);
        return $this->call($fields + self::targets($targets));
    }

    /**
     * toClient pushes $data as $event to single pages, by the client id a
     * page reads as socket.id (a plain WebSocket or EventSource page: in its
     * welcome); see publish for $targets and the answer.
     *
     * @param string|string[] $clients
     * @param mixed $data
     * @param array<string, string|string[]> $targets
     */
    public function toClient($clients, $data = '', ?string $event = null, array $targets = []): array
    {
        $fields = ['type' => 'publish', 'client' => self::names('client', $clients)] + self::message($data, $event);
        return $this->call($fields + self::targets($targets));
    }

    /**
     * join puts members in the groups: ['uid' => U|[U…]] every page of
     * those uids, open now or later, until leave or ungroup; ['client' =>
     * CID|[CID…]] those pages, for their life.
     *
     * @param string|string[] $groups
     * @param array<string, string|string[]> $members
     */
    public function join($groups, array $members): array
    {
        return $this->call(['type' => 'join', 'group' => self::names('group', $groups)] + self::members($members));
    }

    /**
     * leave takes members (as join's) out of the groups.
     *
     * @param string|string[] $groups
     * @param array<string, string|string[]> $members
     */
    public function leave($groups, array $members): array
    {
        return $this->call(['type' => 'leave', 'group' => self::names('group', $groups)] + self::members($members));
    }

    /**
     * ungroup empties the groups: every member leaves them.
     *
     * @param string|string[] $groups
     */
    public function ungroup($groups): array
    {
        return $this->call(['type' => 'ungroup', 'group' => self::names('group', $groups)]);
    }

    /**
     * online asks whether ['uid' => U…], ['group' => G…] or ['client' =>
     * CID…] has a page open anywhere in the cluster: result 'online' or
     * 'offline', and each target's state as publish answers it.
     *
     * @param array<string, string|string[]> $who
     */
    public function online(array $who): array
    {
        $fields = ['type' => 'online'];
        foreach ($who as $name => $value) {
            if (!in_array($name, ['uid', 'group', 'client'], true)) {
                throw new \InvalidArgumentException("pushio: online: unknown key \"$name\", want uid, group or client");
            }
            $fields[$name] = self::names($name, $value);
        }
        if (count($fields) !== 2) {
            throw new \InvalidArgumentException('pushio: online: want one of uid, group or client');
        }
        return $this->call($fields);
    }

    /**
     * count returns ['uids' => N, 'pages' => M]: the logged-in uids and
     * their pages in the cluster, or in one group.
     */
    public function count(?string $group = null): array
    {
        $fields = ['type' => 'count'];
        if ($group !== null) {
            $fields['group'] = self::names('group', $group); // a list of one: commas and all
        }
        return $this->call($fields);
    }

    /**
     * uids lists the online uids (of a group, when given), a page at a time:
     * ['uids' => [...], 'cursor' => C]; pass C back for the next page, ""
     * once there is none. $limit 0 is the server's default (at most 10,000).
     */
    public function uids(?string $group = null, int $limit = 0, string $cursor = ''): array
    {
        $fields = ['type' => 'uids'];
        if ($group !== null) {
            $fields['group'] = self::names('group', $group);
        }
        return $this->call($fields + self::page($limit, $cursor));
    }

    /**
     * clients lists the client ids of a uid's open pages, a page at a time,
     * as uids does: ['clients' => [...], 'cursor' => C].
     */
    public function clients(string $uid, int $limit = 0, string $cursor = ''): array
    {
        return $this->call(['type' => 'clients', 'uid' => self::name('uid', $uid)] + self::page($limit, $cursor));
    }

    /**
     * kick disconnects ['uid' => U…] (every page of them) or ['client' =>
     * CID…] on every instance, first pushing $data as $event to them when
     * $data is given (e.g. kick(['uid' => 'a'], 'bye', 'logout')). Socket.IO
     * clients do not reconnect after it. Result 'ok' or 'offline'.
     *
     * @param array<string, string|string[]> $who
     * @param mixed $data
     */
    public function kick(array $who, $data = null, ?string $event = null): array
    {
        $fields = ['type' => 'kick'] + self::members($who);
        if ($data !== null || $event !== null) {
            $fields += self::message($data ?? '', $event);
        }
        return $this->call($fields);
    }

    /**
     * batch sends many publishes (or kicks) in one request and returns their
     * answers in order. Each item is an array of the API's fields, e.g.
     * ['to' => 'a', 'content' => 'x'], ['group' => ['g'], 'event' => 'e',
     * 'json' => ['any' => 'value']] (json: the value itself) or
     * ['type' => 'kick', 'uid' => 'a'], or one made by item(); a bad item
     * is answered ['result' => 'fail', 'error' => why] alone, the others
     * are sent. A list field (to, uid, group, client, exclude) given as a
     * string is one name, as in the other methods. Signed, the body is
     * covered by body_sha256 in the query.
     *
     * @param array<int, array<string, mixed>> $items
     * @return array<int, array<string, mixed>>
     */
    public function batch(array $items): array
    {
        if ($items === [] || array_keys($items) !== range(0, count($items) - 1)) {
            throw new \InvalidArgumentException('pushio: batch: want a non-empty list of items');
        }
        foreach ($items as $i => $item) {
            if (!is_array($item) || ($item !== [] && array_keys($item) === range(0, count($item) - 1))) {
                throw new \InvalidArgumentException("pushio: batch: item $i is not an array of fields");
            }
            // A list field given one name is that name, commas and all, as
            // every other method sends it.
            foreach (self::LISTS as $name) {
                if (isset($item[$name]) && is_string($item[$name])) {
                    $items[$i][$name] = [$item[$name]];
                }
            }
        }
        $body = self::encodeJSON($items, 'batch');
        $query = [];
        if ($this->signature) {
            $query = $this->sign(['body_sha256' => hash('sha256', $body)]);
        }
        $url = $this->url . ($query === [] ? '' : '?' . self::encode($query));
        $answer = $this->send('batch', $url, $body, 'application/json');
        if (!is_array($answer) || array_keys($answer) !== range(0, count($answer) - 1)) {
            throw new AnswerException('batch', 200, self::encodeJSON($answer, 'batch'));
        }
        return $answer;
    }

    /**
     * item is one batch item that pushes $data as $event to $targets (to,
     * group, client, exclude, as publish's $targets), e.g.
     * Client::item(['to' => 'alice'], 'hi') or
     * Client::item(['group' => 'g'], ['n' => 1], 'update').
     *
     * @param array<string, string|string[]> $targets
     * @param mixed $data a string (content, escaped) or any JSON value
     * @return array<string, mixed>
     */
    public static function item(array $targets, $data = '', ?string $event = null): array
    {
        $item = self::targets($targets) + (is_string($data) ? ['content' => $data] : ['json' => $data]);
        if ($event !== null) {
            $item['event'] = $event;
        }
        return $item;
    }

    /**
     * loginToken returns the HS256 JWT a page logs in with when pushio has
     * auth.secret (option auth_secret): socket.emit('login', $uid, $token).
     * It is valid for $ttl seconds from now; $groups, when given, are groups
     * the page joins at login (the "groups" claim).
     *
     * @param string[] $groups
     */
    public function loginToken(string $uid, int $ttl = 3600, array $groups = []): string
    {
        if ($this->authSecret === '') {
            throw new \InvalidArgumentException('pushio: loginToken needs option auth_secret (auth.secret)');
        }
        if ($uid === '' || $ttl <= 0) {
            throw new \InvalidArgumentException('pushio: loginToken: want a uid and a positive ttl in seconds');
        }
        $now = time();
        $claims = ['sub' => $uid, 'iat' => $now, 'exp' => $now + $ttl];
        if ($groups !== []) {
            $claims['groups'] = self::names('groups', $groups);
        }
        $head = self::base64url('{"alg":"HS256","typ":"JWT"}') . '.' . self::base64url(self::encodeJSON($claims, 'loginToken'));
        return $head . '.' . self::base64url(hash_hmac('sha256', $head, $this->authSecret, true));
    }

    /**
     * call sends any request of the API, its fields as the API names them
     * (a list is sent as name[]=value…), and returns the answer: a JSON
     * answer decoded, a plain one as ['result' => 'ok'|'offline'|'online'].
     *
     * @param array<string, string|int|float|string[]> $fields
     */
    public function call(array $fields): array
    {
        $what = 'type=' . (is_string($fields['type'] ?? null) ? $fields['type'] : '?');
        if ($this->signature) {
            $fields = $this->sign($fields);
        }
        return $this->send($what, $this->url, self::encode($fields), 'application/x-www-form-urlencoded');
    }

    /**
     * sign returns $fields with auth_timestamp, auth_nonce and
     * auth_signature: HMAC-SHA256(api.secret, "POST\nPATH\nPARAMS") where
     * PARAMS are the fields sorted by name, encoded as they are sent.
     *
     * @param array<string, mixed> $fields
     * @return array<string, mixed>
     */
    private function sign(array $fields): array
    {
        foreach (['auth_timestamp', 'auth_nonce', 'auth_signature', 'secret'] as $name) {
            if (array_key_exists($name, $fields)) {
                throw new \InvalidArgumentException("pushio: field $name is the client's to set");
            }
        }
        $fields['auth_timestamp'] = (string) time();
        $fields['auth_nonce'] = bin2hex(random_bytes(8));
        ksort($fields, SORT_STRING);
        $fields['auth_signature'] = hash_hmac('sha256', "POST\n{$this->path}\n" . self::encode($fields), $this->secret);
        return $fields;
    }

    /**
     * send POSTs $body to $url and reads the answer.
     *
     * @return array<mixed>
     */
    private function send(string $what, string $url, string $body, string $type): array
    {
        $headers = ["Content-Type: $type", 'Accept: application/json', 'Expect:'];
        if ($this->secret !== '' && !$this->signature) {
            $headers[] = 'Authorization: Bearer ' . $this->secret;
        }
        $ch = $this->handle();
        $contentType = '';
        curl_setopt_array($ch, [
            CURLOPT_URL => $url,
            CURLOPT_POST => true,
            CURLOPT_POSTFIELDS => $body,
            CURLOPT_HTTPHEADER => $headers,
            CURLOPT_HEADERFUNCTION => static function ($ch, string $line) use (&$contentType): int {
                if (stripos($line, 'content-type:') === 0) {
                    $contentType = strtolower(trim(substr($line, 13)));
                }
                return strlen($line);
            },
        ]);
        $answer = curl_exec($ch);
        $errno = curl_errno($ch);
        if ($errno !== 0 || !is_string($answer)) {
            $this->fail($what, $url, $errno, curl_error($ch));
        }
        $status = (int) curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
        return self::answer($what, $status, $contentType, $answer);
    }

    /**
     * fail throws the exception of a curl failure.
     *
     * @return never
     */
    private function fail(string $what, string $url, int $errno, string $error): void
    {
        $message = sprintf('pushio: %s: POST %s: %s (curl error %d)', $what, $url, $error, $errno);
        if ($errno === CURLE_OPERATION_TIMEDOUT) {
            throw new TimeoutException($message, $errno);
        }
        throw new NetworkException($message, $errno);
    }

    /** @return resource|\CurlHandle */
    private function handle()
    {
        if ($this->curl === null) {
            $ch = curl_init();
            if ($ch === false) {
                throw new NetworkException('pushio: curl_init failed');
            }
            curl_setopt_array($ch, [
                CURLOPT_RETURNTRANSFER => true,
                CURLOPT_FOLLOWLOCATION => false,
                CURLOPT_NOSIGNAL => true,
                CURLOPT_TIMEOUT_MS => $this->timeoutMs,
                CURLOPT_CONNECTTIMEOUT_MS => $this->connectTimeoutMs,
            ]);
            $this->curl = $ch;
        }
        return $this->curl;
    }

    /**
     * answer reads pushio's answer: plain ok/offline/online, JSON, or fail.
     *
     * @return array<mixed>
     */
    private static function answer(string $what, int $status, string $contentType, string $body): array
    {
        $text = trim($body);
        if ($text === 'fail') {
            throw new FailException($what, $status, $body);
        }
        if ($status === 200 && in_array($text, ['ok', 'offline', 'online'], true)) {
            return ['result' => $text];
        }
        if (strpos($contentType, 'application/json') !== 0) {
            throw new AnswerException($what, $status, $body);
        }
        $decoded = json_decode($body, true);
        if (!is_array($decoded)) {
            throw new AnswerException($what, $status, $body);
        }
        if (($decoded['result'] ?? null) === 'fail' || $status !== 200) {
            throw new FailException($what, $status, $body, (string) ($decoded['error'] ?? ''));
        }
        return $decoded;
    }

    /**
     * message is the fields of what is pushed: content for a string, json
     * for any other value, and event when given.
     *
     * @param mixed $data
     * @return array<string, string>
     */
    private static function message($data, ?string $event): array
    {
        $fields = is_string($data) ? ['content' => $data] : ['json' => self::encodeJSON($data, 'json')];
        if ($event !== null) {
            $fields['event'] = $event;
        }
        return $fields;
    }

    /**
     * targets checks publish's extra targets.
     *
     * @param array<string, string|string[]> $targets
     * @return array<string, string|string[]>
     */
    private static function targets(array $targets): array
    {
        $fields = [];
        foreach ($targets as $name => $value) {
            switch ($name) {
                case 'to':
                case 'group':
                case 'client':
                case 'exclude':
                    $fields[$name] = self::names($name, $value);
                    break;
                default:
                    throw new \InvalidArgumentException("pushio: unknown target \"$name\", want to, group, client or exclude");
            }
        }
        return $fields;
    }

    /**
     * members checks ['uid' => …] and/or ['client' => …].
     *
     * @param array<string, string|string[]> $members
     * @return array<string, string[]>
     */
    private static function members(array $members): array
    {
        $fields = [];
        foreach ($members as $name => $value) {
            if ($name !== 'uid' && $name !== 'client') {
                throw new \InvalidArgumentException("pushio: unknown key \"$name\", want uid or client");
            }
            $fields[$name] = self::names($name, $value);
        }
        if ($fields === []) {
            throw new \InvalidArgumentException('pushio: want uid or client');
        }
        return $fields;
    }

    /** @return array<string, string> */
    private static function page(int $limit, string $cursor): array
    {
        if ($limit < 0) {
            throw new \InvalidArgumentException("pushio: limit $limit: want 0 (the default) or more");
        }
        $fields = [];
        if ($limit > 0) {
            $fields['limit'] = (string) $limit;
        }
        if ($cursor !== '') {
            $fields['cursor'] = $cursor;
        }
        return $fields;
    }

    /**
     * names is a list field: one name or a list of them, none empty.
     *
     * @param mixed $value
     * @return string[]
     */
    private static function names(string $field, $value): array
    {
        $list = is_array($value) ? array_values($value) : [$value];
        if ($list === []) {
            throw new \InvalidArgumentException("pushio: $field: an empty list");
        }
        return array_map(static function ($v) use ($field): string {
            return self::name($field, $v);
        }, $list);
    }

    /** @param mixed $value */
    private static function name(string $field, $value): string
    {
        if (is_int($value)) {
            $value = (string) $value;
        }
        if (!is_string($value) || $value === '') {
            throw new \InvalidArgumentException("pushio: $field: want a non-empty string, got " . gettype($value));
        }
        return $value;
    }

    /**
     * encode writes fields as the API reads them: name=value, a list as
     * name[]=value once per value, each part as rawurlencode does.
     *
     * @param array<string, mixed> $fields
     */
    private static function encode(array $fields): string
    {
        $pairs = [];
        foreach ($fields as $name => $value) {
            $name = (string) $name;
            if (is_array($value)) {
                foreach ($value as $v) {
                    $pairs[] = rawurlencode($name . '[]') . '=' . rawurlencode((string) $v);
                }
                continue;
            }
            $pairs[] = rawurlencode($name) . '=' . rawurlencode((string) $value);
        }
        return implode('&', $pairs);
    }

    /** @param mixed $value */
    private static function encodeJSON($value, string $what): string
    {
        try {
            return json_encode($value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE
                | JSON_PRESERVE_ZERO_FRACTION | JSON_THROW_ON_ERROR);
        } catch (\JsonException $e) {
            throw new \InvalidArgumentException("pushio: $what: not encodable as JSON: " . $e->getMessage(), 0, $e);
        }
    }

    private static function base64url(string $raw): string
    {
        return rtrim(strtr(base64_encode($raw), '+/', '-_'), '=');
    }
}
