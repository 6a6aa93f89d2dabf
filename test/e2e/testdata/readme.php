<?php
// The README's PHP snippet as a backend would run it, with the API address,
// the uids and one more content from the command line:
//   php readme.php http://127.0.0.1:PORT UID OFFLINE_UID CONTENT
// Prints one "label: answer" line per call.
[, $api, $uid, $other, $content] = $argv;

// The original's snippet works unchanged (an array body is sent as multipart).
$ch = curl_init("$api/");
curl_setopt($ch, CURLOPT_POST, 1);
curl_setopt($ch, CURLOPT_POSTFIELDS, ['type' => 'publish', 'to' => $uid, 'content' => 'hello']);
curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
echo 'publish: ', curl_exec($ch), "\n"; // ok | offline | fail

// The same call to a uid with no page open, and with content to escape.
curl_setopt($ch, CURLOPT_POSTFIELDS, ['type' => 'publish', 'to' => $other, 'content' => 'hello']);
echo 'publish offline: ', curl_exec($ch), "\n";
curl_setopt($ch, CURLOPT_POSTFIELDS, ['type' => 'publish', 'to' => $uid, 'content' => $content]);
echo 'publish content: ', curl_exec($ch), "\n";

// Several uids at once, as http_build_query sends them:
$q = http_build_query(['type' => 'publish', 'to' => [$uid, $other], 'content' => 'hi']);
echo 'publish several: ', file_get_contents("$api/?$q"), "\n";

// Is a user online? How many are?
echo 'online: ', file_get_contents("$api/?type=online&uid=" . urlencode($uid)), "\n";
echo 'online offline: ', file_get_contents("$api/?type=online&uid=" . urlencode($other)), "\n";
echo 'count: ', file_get_contents("$api/?type=count"), "\n";
