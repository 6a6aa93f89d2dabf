<?php

declare(strict_types=1);

namespace Pushio\Exception;

/**
 * PushioException is the base of every error a call to pushio can end in:
 * catch it to handle them all, or one of its subclasses to tell them apart.
 *
 * - FailException: pushio answered `fail` (refused or could not serve it).
 * - NetworkException: no answer, the connection failed (refused, reset, DNS…).
 * - TimeoutException: no answer within the client's timeout; the request may
 *   have been served (a push may have gone out), so retrying may send it twice.
 * - AnswerException: an answer that is not pushio's (e.g. a proxy's error page).
 *
 * Each says what was being done: the request's type and the URL.
 */
abstract class PushioException extends \RuntimeException
{
}
