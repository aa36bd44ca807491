@testable import ValonKit

/// Bytes from annotated hex: whitespace is ignored and `;` starts a comment to the end of
/// the line, so golden packets can be written field by field.
func hexBytes(_ text: String) -> [UInt8] {
    var bytes = [UInt8]()
    var pending: UInt8?
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        for character in line.prefix(while: { $0 != ";" }) {
            guard let digit = character.hexDigitValue else {
                precondition(character.isWhitespace, "bad hex character \(character)")
                continue
            }
            if let high = pending {
                bytes.append(high << 4 | UInt8(digit))
                pending = nil
            } else {
                pending = UInt8(digit)
            }
        }
    }
    precondition(pending == nil, "odd number of hex digits")
    return bytes
}

/// Lowercase hex, for failure messages.
func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

/// A name from presentation text that the test knows is valid.
func name(_ text: String) -> DNSName {
    do { return try DNSName(text) } catch { preconditionFailure("bad test name \(text): \(error)") }
}

/// The ``DNSError`` `body` throws, or `nil` when it throws nothing (or something else).
func dnsError(_ body: () throws -> Void) -> DNSError? {
    do {
        try body()
        return nil
    } catch {
        return error as? DNSError
    }
}
