<?php
// Checks that PHP files use no syntax newer than PHP 7.4, as far as PHP 8's
// tokenizer and reflection can tell (php -l of a newer PHP accepts it):
//   php php74.php AUTOLOAD FILE…
// Refused: match, enum, readonly, ?->, #[attributes], named arguments,
// promoted constructor parameters, union and intersection types, and the
// types mixed, never, static, false, null. Prints one line per finding,
// "FILE:LINE: what", and exits 1 when there is any.
declare(strict_types=1);

$autoload = $argv[1];
$files = array_slice($argv, 2);
require $autoload;
$found = [];
$tokens = ['T_MATCH' => 'match', 'T_ENUM' => 'enum', 'T_READONLY' => 'readonly',
    'T_NULLSAFE_OBJECT_OPERATOR' => '?->', 'T_ATTRIBUTE' => '#[attribute]'];
foreach ($files as $file) {
    $all = token_get_all(file_get_contents($file));
    $code = array_values(array_filter($all, static function ($t): bool {
        return !is_array($t) || !in_array($t[0], [T_WHITESPACE, T_COMMENT, T_DOC_COMMENT], true);
    }));
    $depth = []; // for each open "(": whether it is a call's
    foreach ($code as $i => $t) {
        if (is_array($t)) {
            $name = token_name($t[0]);
            if (isset($tokens[$name])) {
                $found[] = "$file:{$t[2]}: {$tokens[$name]}";
            }
            // name: inside a call's parentheses, right after ( or , is a named argument.
            $prev = $code[$i - 1] ?? null;
            $next = $code[$i + 1] ?? null;
            if ($t[0] === T_STRING && $next === ':' && ($prev === '(' || $prev === ',') && end($depth) === true) {
                $found[] = "$file:{$t[2]}: named argument {$t[1]}:";
            }
            continue;
        }
        if ($t === '(') {
            $prev = $code[$i - 1] ?? null;
            $depth[] = is_array($prev) && in_array($prev[0], [T_STRING, T_VARIABLE, T_NAME_QUALIFIED, T_NAME_FULLY_QUALIFIED, T_STATIC], true)
                || $prev === ')' || $prev === ']';
        } elseif ($t === ')') {
            array_pop($depth);
        }
    }
}

$before = get_declared_classes();
foreach ($files as $file) {
    require_once $file;
}
$checkType = static function (?ReflectionType $type, string $where) use (&$found): void {
    if ($type === null) {
        return;
    }
    if (!$type instanceof ReflectionNamedType) {
        $found[] = "$where: union or intersection type $type";
    } elseif (in_array($type->getName(), ['mixed', 'never', 'static', 'false', 'null'], true)) {
        $found[] = "$where: type {$type->getName()}";
    }
};
foreach (array_merge(get_declared_classes(), get_declared_interfaces()) as $class) {
    $c = new ReflectionClass($class);
    if ($c->isInternal() || !in_array($c->getFileName(), array_map('realpath', $files), true)) {
        continue;
    }
    foreach ($c->getMethods() as $m) {
        $where = "{$c->getFileName()}:{$m->getStartLine()}: {$class}::{$m->getName()}";
        $checkType($m->getReturnType(), "$where return");
        foreach ($m->getParameters() as $p) {
            if ($p->isPromoted()) {
                $found[] = "$where: promoted parameter \${$p->getName()}";
            }
            $checkType($p->getType(), "$where parameter \${$p->getName()}");
        }
    }
    foreach ($c->getProperties() as $p) {
        $checkType($p->getType(), "{$c->getFileName()}: {$class}::\${$p->getName()}");
    }
}
foreach ($found as $line) {
    echo $line, "\n";
}
exit($found === [] ? 0 : 1);
