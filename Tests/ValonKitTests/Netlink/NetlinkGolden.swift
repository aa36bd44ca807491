import Foundation

/// Golden bytes written as annotated hex: pairs of hex digits, whitespace ignored,
/// `#` starts a comment that runs to the end of the line.
enum NetlinkGolden {
    static func bytes(_ annotated: String) -> [UInt8] {
        let digits = annotated.split(separator: "\n").map { line in
            line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
        }.joined().filter { !$0.isWhitespace }
        precondition(digits.count % 2 == 0, "odd number of hex digits in golden bytes")
        var result = [UInt8]()
        var index = digits.startIndex
        while index < digits.endIndex {
            let next = digits.index(index, offsetBy: 2)
            result.append(UInt8(digits[index..<next], radix: 16)!)
            index = next
        }
        return result
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
