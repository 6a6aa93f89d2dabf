<?php

declare(strict_types=1);

namespace Pushio\Exception;

/**
 * TimeoutException is a request that got no answer within the client's
 * timeout (or no connection within its connect timeout). pushio may still
 * have served it: a retried push may arrive twice.
 */
final class TimeoutException extends PushioException
{
}
