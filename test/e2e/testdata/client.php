<?php
// Runs calls of the PHP client (clients/php, loaded by composer's autoloader
// from a project that installed it from a path repository) for the Go tests:
//   php client.php AUTOLOAD SPEC
// where SPEC is JSON: {"url": API URL, "options": Client options,
// "calls": [[METHOD, [ARGS…]], …]}. Prints one JSON line per call:
// {"answer": …} or {"exception": CLASS, "code": N, "message": …} with
// "status" and "body" for FailException and AnswerException, and
// "reason" for FailException.
declare(strict_types=1);

[, $autoload, $spec] = $argv;
require $autoload;
$spec = json_decode($spec, true, 512, JSON_THROW_ON_ERROR);
$client = null;
foreach ($spec['calls'] as [$method, $args]) {
    try {
        // Made in the loop: what the constructor throws is each call's result.
        $client = $client ?? new Pushio\Client($spec['url'], $spec['options'] ?? []);
        $line = ['answer' => $client->$method(...$args)];
    } catch (Pushio\Exception\PushioException | InvalidArgumentException $e) {
        $line = ['exception' => get_class($e), 'code' => $e->getCode(), 'message' => $e->getMessage()];
        if (method_exists($e, 'getStatus')) {
            $line += ['status' => $e->getStatus(), 'body' => $e->getBody()];
        }
        if (method_exists($e, 'getReason')) {
            $line['reason'] = $e->getReason();
        }
    }
    echo json_encode($line, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR), "\n";
}
