// libFuzzer entry point for the DNS decoder. Not part of the package: scripts/fuzz-dns.sh
// compiles it with swiftc -sanitize=fuzzer,address together with Sources/ValonCore/DNSCodec
// and Sources/ValonCore/Net, which import nothing and depend on nothing else (the resolver,
// in ValonKit/DNS, uses sockets and stays out).
import Foundation

/// Traps with `message` unless `condition` holds. `fatalError` prints its message in an
/// optimized build, where `precondition` would trap silently.
func check(_ condition: Bool, _ message: @autoclosure () -> String = "") {
    if !condition { fatalError(message()) }
}

/// Decodes the input. A message that decodes must encode, with and without compression,
/// to bytes that decode to an equal message, and cut to 512 bytes to a message that
/// decodes; anything else is a bug and traps, which
/// libFuzzer reports as a crash. Refused input must be a ``DNSError`` (typed throws
/// guarantees it).
@_cdecl("LLVMFuzzerTestOneInput")
public func dnsDecoderFuzzTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let message: DNSMessage
    do {
        message = try DNSMessage(decoding: bytes)
    } catch {
        check(!error.message.isEmpty, "an error without a message")
        return 0
    }
    for compress in [true, false] {
        let encoded: [UInt8]
        do {
            encoded = try message.encoded(compress: compress)
        } catch where error.code == .messageTooLarge {
            // Written out in full (or with SRV targets uncompressed) a message can outgrow
            // the 64 KiB it was received in.
            continue
        } catch {
            fatalError("a decoded message does not encode (compress \(compress)): \(error)")
        }
        let again: DNSMessage
        do {
            again = try DNSMessage(decoding: encoded)
        } catch {
            fatalError("re-encoded message does not decode (compress \(compress)): \(error)")
        }
        check(again == message, "re-encoded message decodes differently (compress \(compress))")
    }
    // Cut to a UDP size, it must fit and decode, or be refused as too large.
    do {
        let cut = try message.encoded(maximumSize: 512)
        check(cut.count <= 512, "encoded(maximumSize: 512) wrote \(cut.count) bytes")
        do {
            _ = try DNSMessage(decoding: cut)
        } catch {
            fatalError("a truncated message does not decode: \(error)")
        }
    } catch where error.code == .messageTooLarge {
    } catch {
        fatalError("encoded(maximumSize:) failed on a decoded message: \(error)")
    }
    // The presentation format must print anything that decodes.
    for record in message.answers + message.authorities + message.additionals {
        check(!record.description.isEmpty)
    }
    return 0
}
