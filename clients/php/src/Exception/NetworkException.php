<?php

declare(strict_types=1);

namespace Pushio\Exception;

/**
 * NetworkException is a request that got no answer because the connection
 * failed: refused (pushio is down), reset, a name that does not resolve, a
 * TLS error. Its code is curl's error number.
 */
final class NetworkException extends PushioException
{
}
