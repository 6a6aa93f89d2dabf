<?php

declare(strict_types=1);

namespace Pushio\Exception;

/**
 * FailException is a `fail` answer: the request was refused (401 bad
 * credentials, 403 address not allowed, 429 rate limit, 400 bad input,
 * 409 a join past groups.max_per_uid, 413 too large) or could not be
 * served (503: Redis out of reach), or the type was not one pushio knows
 * (200). Nothing was sent.
 */
final class FailException extends PushioException
{
    /** @var int */
    private $status;
    /** @var string */
    private $body;
    /** @var string */
    private $reason;

    public function __construct(string $what, int $status, string $body, string $reason = '')
    {
        $this->status = $status;
        $this->body = $body;
        $this->reason = $reason;
        $message = sprintf('pushio: %s: HTTP %d: %s', $what, $status, trim($body));
        parent::__construct($message, $status);
    }

    /** The answer's HTTP status (also getCode()). */
    public function getStatus(): int
    {
        return $this->status;
    }

    /** The answer's body as received. */
    public function getBody(): string
    {
        return $this->body;
    }

    /** The reason the server gave (a JSON answer's "error"), or "". */
    public function getReason(): string
    {
        return $this->reason;
    }
}
