<?php
// The README's PHP examples for a publish API with api.secret set, run by
// php_test.go: php publish.php BASE_URL MODE SECRET prints pushio's answer.

// pushio_sign adds auth_timestamp, auth_nonce and auth_signature to the
// fields of a request to pushio (api.signature: true). $path is the URL's
// path; send every field the way it was signed (query or body, not both).
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

[, $base, $mode, $secret] = $argv;
$fields = ['type' => 'publish', 'to' => 'on1', 'content' => 'hello'];
switch ($mode) {
case 'bearer':
    $ch = curl_init("$base/");
    curl_setopt($ch, CURLOPT_POST, 1);
    curl_setopt($ch, CURLOPT_POSTFIELDS, $fields);
    curl_setopt($ch, CURLOPT_HTTPHEADER, ["Authorization: Bearer $secret"]);
    curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
    echo curl_exec($ch);
    break;
case 'param':
    echo file_get_contents("$base/?" . http_build_query($fields + ['secret' => $secret]));
    break;
case 'signed-get':
    $fields = ['type' => 'publish', 'to' => ['off1', 'on1'], 'content' => 'a&b c+é'];
    echo file_get_contents("$base/?" . http_build_query(pushio_sign($secret, 'GET', '/', $fields)));
    break;
case 'signed-post':
    $ch = curl_init("$base/push");
    curl_setopt($ch, CURLOPT_POST, 1);
    curl_setopt($ch, CURLOPT_POSTFIELDS, http_build_query(pushio_sign($secret, 'POST', '/push', $fields)));
    curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
    echo curl_exec($ch);
    break;
}
