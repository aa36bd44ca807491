/// Golden bytes written as annotated hex: pairs of hex digits, whitespace ignored, and `#`
/// or `;` start a comment to the end of the line, so that a golden request or packet is
/// written field by field.
public func hexBytes(_ annotated: String) -> [UInt8] {
    var bytes = [UInt8]()
    var pending: UInt8?
    for line in annotated.split(separator: "\n", omittingEmptySubsequences: false) {
        for character in line.prefix(while: { $0 != "#" && $0 != ";" }) {
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

/// Lowercase hex, two digits a byte, for expectations and failure messages.
public func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}
