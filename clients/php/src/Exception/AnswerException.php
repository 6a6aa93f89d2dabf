<?php

declare(strict_types=1);

namespace Pushio\Exception;

/**
 * AnswerException is an answer that pushio does not give: not ok, offline,
 * online, fail or its JSON, e.g. a load balancer's 502 page or a URL that
 * points at another server.
 */
final class AnswerException extends PushioException
{
    /** @var int */
    private $status;
    /** @var string */
    private $body;

    public function __construct(string $what, int $status, string $body)
    {
        $this->status = $status;
        $this->body = $body;
        $shown = strlen($body) > 200 ? substr($body, 0, 200) . '…' : $body;
        parent::__construct(sprintf('pushio: %s: unexpected answer, HTTP %d: %s', $what, $status, $shown), $status);
    }

    public function getStatus(): int
    {
        return $this->status;
    }

    public function getBody(): string
    {
        return $this->body;
    }
}
