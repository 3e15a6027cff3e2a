#!/usr/bin/perl
# zmq-conformance driver (docs/driver-protocol.md, version 1) for ZMQ::FFI.
#
# Reads one JSON request per line on stdin and writes one JSON response per
# line on stdout, one at a time, in order; diagnostics go to stderr. Needs
# only Perl's core modules and ZMQ::FFI (Debian: libzmq-ffi-perl), which binds
# the system libzmq through FFI::Platypus. Sockets run with die_on_error off,
# so every failure is read from last_errno, as libzmq's errno.
use strict;
use warnings;

use JSON::PP ();
use MIME::Base64 qw(encode_base64 decode_base64);
use POSIX ();
use ZMQ::FFI;
use ZMQ::FFI::Constants qw(:all);

my $PROTOCOL = 1;
my %SOCKET_TYPES = (REQ => ZMQ_REQ, REP => ZMQ_REP, DEALER => ZMQ_DEALER, ROUTER => ZMQ_ROUTER);
my @SOCKET_ORDER = qw(REQ REP DEALER ROUTER);
my %BOOL_OPTIONS = (
    ROUTER_MANDATORY => ZMQ_ROUTER_MANDATORY,
    ROUTER_HANDOVER  => ZMQ_ROUTER_HANDOVER,
    REQ_RELAXED      => ZMQ_REQ_RELAXED,
    REQ_CORRELATE    => ZMQ_REQ_CORRELATE,
    PROBE_ROUTER     => ZMQ_PROBE_ROUTER,
    IMMEDIATE        => ZMQ_IMMEDIATE,
);
# Option => [number, libzmq value type].
my %INT_OPTIONS = (
    SNDHWM     => [ZMQ_SNDHWM,     'int'],
    RCVHWM     => [ZMQ_RCVHWM,     'int'],
    LINGER     => [ZMQ_LINGER,     'int'],
    MAXMSGSIZE => [ZMQ_MAXMSGSIZE, 'int64_t'],
);
my @OPTION_ORDER = qw(ROUTING_ID ROUTER_MANDATORY ROUTER_HANDOVER REQ_RELAXED REQ_CORRELATE
    PROBE_ROUTER IMMEDIATE SNDHWM RCVHWM LINGER MAXMSGSIZE);
my %ERRNO_CODES = (
    POSIX::EAGAIN()          => 'EAGAIN',
    ZMQ_HAUSNUMERO() + 51    => 'EFSM',    # libzmq's EFSM; ZMQ::FFI exports no constant
    POSIX::EHOSTUNREACH()    => 'EHOSTUNREACH',
    POSIX::EINVAL()          => 'EINVAL',
    POSIX::ENOTSUP()         => 'ENOTSUP',
    POSIX::EPROTONOSUPPORT() => 'ENOTSUP',
);

my $json    = JSON::PP->new->canonical;
my $context = ZMQ::FFI->new();
my %sockets;
my $counter = 0;

# A failure answered to the suite: dies with [code, message].
sub failure { die [@_] }

sub check {
    my ($socket, $what) = @_;
    my $errno = $socket->last_errno or return;
    failure($ERRNO_CODES{$errno} // 'EOTHER', "$what: " . $socket->last_strerror);
}

sub argument {
    my ($request, $name) = @_;
    failure('EPROTO', "missing argument $name") unless exists $request->{$name};
    return $request->{$name};
}

sub sock {
    my ($request) = @_;
    my $handle = $request->{socket} // '';
    return $sockets{$handle} // failure('EINVAL', "unknown socket handle '$handle'");
}

sub timeout_of {
    my ($request) = @_;
    my $timeout = $request->{timeout_ms} // 0;
    failure('EPROTO', "bad timeout_ms $timeout") unless $timeout =~ /\A\d+\z/;
    return $timeout + 0;
}

sub frame {
    my ($text) = @_;
    failure('EPROTO', 'a frame is not a base64 string')
        unless defined $text && !ref $text && $text =~ m{\A[A-Za-z0-9+/]*={0,2}\z} && length($text) % 4 == 0;
    return decode_base64($text);
}

sub is_bool { JSON::PP::is_bool($_[0]) }

my %OPERATIONS = (
    hello => sub {
        my ($request) = @_;
        failure('ENOTSUP', "this driver speaks protocol $PROTOCOL")
            unless ($request->{protocol} // 0) == $PROTOCOL;
        my $libzmq = join '.', $context->version;
        return {
            protocol       => $PROTOCOL,
            implementation => "ZMQ::FFI $ZMQ::FFI::VERSION (libzmq $libzmq, Perl " . sprintf('%vd', $^V) . ')',
            socket_types   => [@SOCKET_ORDER],
            transports     => [qw(tcp ipc inproc)],
            options        => [@OPTION_ORDER],
        };
    },
    socket => sub {
        my ($request) = @_;
        my $type = $request->{type} // '';
        failure('ENOTSUP', "no socket type '$type'") unless exists $SOCKET_TYPES{$type};
        my $socket = $context->socket($SOCKET_TYPES{$type});
        $socket->die_on_error(0);
        $socket->set(ZMQ_LINGER, 'int', 0);
        check($socket, 'set LINGER');
        my $handle = 's' . ++$counter;
        $sockets{$handle} = $socket;
        return {socket => $handle};
    },
    set => sub {
        my ($request) = @_;
        my $socket = sock($request);
        my $option = $request->{option} // '';
        my $value  = argument($request, 'value');
        if ($option eq 'ROUTING_ID') {
            $socket->set(ZMQ_IDENTITY, 'binary', frame($value));
        }
        elsif (exists $BOOL_OPTIONS{$option}) {
            failure('EINVAL', "$option takes true or false") unless is_bool($value);
            $socket->set($BOOL_OPTIONS{$option}, 'int', $value ? 1 : 0);
        }
        elsif (exists $INT_OPTIONS{$option}) {
            failure('EINVAL', "$option takes an integer")
                if ref $value || !defined $value || $value !~ /\A-?\d+\z/;
            my ($number, $type) = @{$INT_OPTIONS{$option}};
            $socket->set($number, $type, $value + 0);
        }
        else {
            failure('ENOTSUP', "no option '$option'");
        }
        check($socket, 'setsockopt');
        return {};
    },
    bind => sub {
        my ($request) = @_;
        my $socket = sock($request);
        $socket->bind(argument($request, 'endpoint'));
        check($socket, 'bind');
        my $bound = $socket->get(ZMQ_LAST_ENDPOINT, 'string');
        check($socket, 'getsockopt LAST_ENDPOINT');
        $bound =~ s/\0+\z//;
        return {endpoint => $bound};
    },
    connect => sub {
        my ($request) = @_;
        my $socket = sock($request);
        $socket->connect(argument($request, 'endpoint'));
        check($socket, 'connect');
        return {};
    },
    disconnect => sub {
        my ($request) = @_;
        my $socket = sock($request);
        $socket->disconnect(argument($request, 'endpoint'));
        check($socket, 'disconnect');
        return {};
    },
    unbind => sub {
        my ($request) = @_;
        my $socket = sock($request);
        $socket->unbind(argument($request, 'endpoint'));
        check($socket, 'unbind');
        return {};
    },
    send => sub {
        my ($request) = @_;
        my $socket = sock($request);
        my $frames = argument($request, 'frames');
        failure('EPROTO', 'frames is not a list') unless ref $frames eq 'ARRAY';
        failure('EINVAL', 'a message has at least one frame') unless @$frames;
        my @parts = map { frame($_) } @$frames;
        $socket->set(ZMQ_SNDTIMEO, 'int', timeout_of($request));
        check($socket, 'set SNDTIMEO');
        $socket->send_multipart(\@parts);
        check($socket, 'send');
        return {};
    },
    recv => sub {
        my ($request) = @_;
        my $socket = sock($request);
        $socket->set(ZMQ_RCVTIMEO, 'int', timeout_of($request));
        check($socket, 'set RCVTIMEO');
        my @parts = $socket->recv_multipart();
        check($socket, 'recv');
        return {frames => [map { encode_base64($_, '') } @parts]};
    },
    close => sub {
        my ($request) = @_;
        my $socket = sock($request);
        delete $sockets{$request->{socket}};
        $socket->close();
        return {};
    },
);

sub close_all {
    $_->close() for values %sockets;
    %sockets = ();
    $context->destroy();
}

sub answer {
    my ($response) = @_;
    print STDOUT $json->encode($response), "\n";
}

binmode STDIN;
binmode STDOUT;
STDOUT->autoflush(1);
while (my $line = <STDIN>) {
    next unless $line =~ /\S/;
    my $request = eval { JSON::PP->new->decode($line) };
    if (ref $request ne 'HASH') {
        answer({id => undef, ok => JSON::PP::false, error => 'EPROTO', message => 'unparsable request'});
        next;
    }
    my %response = (id => $request->{id});
    my $op = $request->{op} // '';
    if ($op eq 'bye') {
        close_all();
        answer({%response, ok => JSON::PP::true});
        exit 0;
    }
    my $result = eval {
        my $operation = $OPERATIONS{$op} // failure('ENOTSUP', "no op '$op'");
        $operation->($request);
    };
    if (defined $result) {
        answer({%response, %$result, ok => JSON::PP::true});
    }
    else {
        my $error = $@;
        my ($code, $message) = ref $error eq 'ARRAY' ? @$error : ('EOTHER', "$error");
        answer({%response, ok => JSON::PP::false, error => $code, message => $message});
    }
}
close_all();
exit 0;
