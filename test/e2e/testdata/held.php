<?php
// The README's PHP for held messages as a backend would run it, with the
// API address and a uid that has no page open from the command line:
//   php held.php http://127.0.0.1:PORT UID
// Prints one "label: answer" line per call.
[, $api, $uid] = $argv;

// Hold the message for two minutes if the uid has no page open right now.
$ch = curl_init("$api/");
curl_setopt($ch, CURLOPT_POST, 1);
curl_setopt($ch, CURLOPT_POSTFIELDS, http_build_query([
    'type' => 'publish', 'to' => $uid, 'content' => 'Your order shipped', 'ttl' => 120,
]));
curl_setopt($ch, CURLOPT_HTTPHEADER, ['Accept: application/json']);
curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
$answer = json_decode(curl_exec($ch), true);
echo 'held for: ', implode(',', $answer['held'] ?? []), "\n";
echo 'held: ', file_get_contents("$api/?type=held&uid=" . urlencode($uid)), "\n";
echo 'purge: ', file_get_contents("$api/?type=purge&uid=" . urlencode($uid)), "\n";
echo 'held after purge: ', file_get_contents("$api/?type=held&uid=" . urlencode($uid)), "\n";
// Held again, for the page that logs in next.
$answer = json_decode(curl_exec($ch), true);
echo 'held again for: ', implode(',', $answer['held'] ?? []), "\n";
