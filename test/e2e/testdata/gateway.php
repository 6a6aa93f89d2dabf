<?php
// The README's PHP for events, pages, kicks and batches as a backend would
// run it, against pushio at API (open) and SIGNED_API (api.signature with
// SECRET), for a page of UID whose socket.id is CLIENT:
//   php gateway.php API SIGNED_API SECRET UID CLIENT
// Prints one "label: answer" line per call.
[, $api, $signedAPI, $secret, $uid, $clientId] = $argv;

// pushio_sign as the README gives it.
function pushio_sign(string $secret, string $method, string $path, array $fields): array
{
    unset($fields['auth_signature']);
    $fields['auth_timestamp'] = (string) time();
    $fields['auth_nonce'] = bin2hex(random_bytes(8)); // two alike pushes in one second both pass
    ksort($fields, SORT_STRING);
    $pairs = [];
    foreach ($fields as $name => $value) {
        foreach (is_array($value) ? $value : [$value] as $v) {
            $pairs[] = rawurlencode(is_array($value) ? "{$name}[]" : (string) $name) . '=' . rawurlencode((string) $v);
        }
    }
    $fields['auth_signature'] = hash_hmac('sha256', strtoupper($method) . "\n" . $path . "\n" . implode('&', $pairs), $secret);
    return $fields;
}

// Any event with a JSON value.
$ch = curl_init("$api/");
curl_setopt($ch, CURLOPT_POST, 1);
curl_setopt($ch, CURLOPT_POSTFIELDS, ['type' => 'publish', 'to' => $uid, 'event' => 'order.paid',
    'json' => json_encode(['id' => 7, 'total' => 9.5])]);
curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
echo 'json event: ', curl_exec($ch), "\n";

// One page by its id, everyone but a page, the pages of a uid.
$senderClientId = $clientId;
$q = http_build_query(['type' => 'publish', 'to' => [$uid, 'bob'], 'exclude' => $senderClientId, 'content' => 'not to the sender']);
echo 'exclude: ', file_get_contents("$api/?$q"), "\n";
echo 'client: ', file_get_contents("$api/?" . http_build_query(['type' => 'publish', 'client' => $clientId, 'content' => 'only you'])), "\n";
$pages = json_decode(file_get_contents("$api/?type=clients&uid=" . urlencode($uid)), true)['clients'];
echo 'clients: ', implode(',', $pages), "\n";

// A batch.
$body = json_encode([
    ['to' => $uid, 'content' => 'x'],
    ['to' => ['bob', 'carol'], 'event' => 'order.paid', 'json' => ['id' => 7]],
    ['type' => 'kick', 'uid' => 'mallory', 'event' => 'logout', 'content' => 'bye'],
]);
$ch = curl_init("$api/?body_sha256=" . hash('sha256', $body));
curl_setopt($ch, CURLOPT_POST, 1);
curl_setopt($ch, CURLOPT_POSTFIELDS, $body);
curl_setopt($ch, CURLOPT_HTTPHEADER, ['Content-Type: application/json']);
curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
$answers = json_decode(curl_exec($ch), true);
echo 'batch: ', implode(',', array_column($answers, 'result')), "\n";

// A signed batch.
$q = http_build_query(pushio_sign($secret, 'POST', '/', ['body_sha256' => hash('sha256', $body)]));
$ch = curl_init("$signedAPI/?$q");
curl_setopt($ch, CURLOPT_POST, 1);
curl_setopt($ch, CURLOPT_POSTFIELDS, $body);
curl_setopt($ch, CURLOPT_HTTPHEADER, ['Content-Type: application/json']);
curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
echo 'signed batch: ', implode(',', array_column(json_decode(curl_exec($ch), true), 'result')), "\n";
curl_setopt($ch, CURLOPT_POSTFIELDS, $body . ' ');
echo 'signed batch, another body: ', curl_exec($ch), ' ', curl_getinfo($ch, CURLINFO_HTTP_CODE), "\n";

// A kick.
echo 'kick: ', file_get_contents("$api/?" . http_build_query(
    ['type' => 'kick', 'client' => $clientId, 'event' => 'logout', 'json' => json_encode(['reason' => 'password changed'])])), "\n";
