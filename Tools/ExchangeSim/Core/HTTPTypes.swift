import Domain

/// An HTTP request as the exchange sees it: the raw query string and body are kept byte for byte,
/// because the signature is computed over them exactly as sent.
public struct SimRequest: Sendable {
    public var method: String
    /// The path without the query ("/api/v3/order").
    public var path: String
    /// The query string as received, without "?" (still percent-encoded).
    public var rawQuery: String
    /// The body as received (form-encoded for Binance's POST/DELETE).
    public var body: String
    /// Header names in lowercase.
    public var headers: [String: String]

    public init(method: String, path: String, rawQuery: String = "", body: String = "", headers: [String: String] = [:]) {
        self.method = method
        self.path = path
        self.rawQuery = rawQuery
        self.body = body
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
    }
}

/// An HTTP response: status, extra headers, JSON body.
public struct SimResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: String
    /// Hold the answer this long (the `timeoutAfterExecute` fault: the client times out while the
    /// order exists).
    public var delay: Duration?

    public init(status: Int, headers: [(String, String)] = [], body: String, delay: Duration? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delay = delay
    }
}

/// A Binance error: HTTP status and the `{"code", "msg"}` body.
public struct APIError: Error, Sendable, Equatable {
    public var status: Int
    public var code: Int
    public var message: String
    public var retryAfter: Int?

    public init(status: Int = 400, code: Int, _ message: String, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    var json: JSON { .object([("code", .int(Int64(code))), ("msg", .string(message))]) }

    static let invalidSymbol = APIError(code: -1121, "Invalid symbol.")
    static let badSignature = APIError(code: -1022, "Signature for this request is not valid.")
    static let outsideRecvWindow = APIError(code: -1021, "Timestamp for this request is outside of the recvWindow.")
    static let timestampAhead = APIError(code: -1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    static let insufficientBalance = APIError(code: -2010, "Account has insufficient balance for requested action.")
    static let duplicateOrder = APIError(code: -2010, "Duplicate order sent.")
    static let wouldMatch = APIError(code: -2010, "Order would immediately match and take.")
    static let wouldTrigger = APIError(code: -2010, "Order would trigger immediately.")
    static let badOCOPrices = APIError(code: -2010, "The relationship of the prices for the orders is not correct.")
    static let unsupportedCombination = APIError(code: -1013, "Unsupported order combination.")
    static let unknownOrder = APIError(code: -2011, "Unknown order sent.")
    static let unknownOrderList = APIError(code: -2011, "Order list does not exist.")
    static let noSuchOrderList = APIError(code: -2013, "Order list does not exist.")
    static let noSuchOrder = APIError(code: -2013, "Order does not exist.")
    static let badAPIKeyFormat = APIError(status: 401, code: -2014, "API-key format invalid.")
    static let rejectedAPIKey = APIError(status: 401, code: -2015, "Invalid API-key, IP, or permissions for action.")
    static let unknownEndpoint = APIError(status: 404, code: -1000, "Unknown endpoint.")
    static let overloaded = APIError(status: 503, code: -1008, "Server is currently overloaded with other requests. Please try again in a few minutes.")

    static func mandatory(_ name: String) -> APIError {
        APIError(code: -1102, "Mandatory parameter '\(name)' was not sent, was empty/null, or malformed.")
    }
    static func filter(_ name: String) -> APIError { APIError(code: -1013, "Filter failure: \(name)") }
    static func illegalDecimal(_ name: String) -> APIError {
        APIError(code: -1100, "Illegal characters found in parameter '\(name)'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.")
    }
    static func illegalInteger(_ name: String) -> APIError {
        APIError(code: -1100, "Illegal characters found in parameter '\(name)'; legal range is '^(-)?[0-9]{1,20}$'.")
    }
    static func notRequired(_ name: String) -> APIError { APIError(code: -1106, "Parameter '\(name)' sent when not required.") }
}

/// The parameters of a request: the query string, then the form body (the query wins when a name
/// appears in both), percent-decoded.
public struct Params: Sendable {
    var values: [String: String] = [:]

    public init(rawQuery: String, body: String) {
        for source in [rawQuery, body] where !source.isEmpty {
            var seen = Set<String>()
            for pair in source.split(separator: "&", omittingEmptySubsequences: true) {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = Self.percentDecode(parts[0])
                let value = parts.count > 1 ? Self.percentDecode(parts[1]) : ""
                guard seen.insert(name).inserted, values[name] == nil else { continue }
                values[name] = value
            }
        }
    }

    /// application/x-www-form-urlencoded decoding: "+" is a space, "%XX" a byte (UTF-8).
    static func percentDecode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "+") { bytes.append(0x20); continue }
            if byte == UInt8(ascii: "%"), iterator.count >= 2,
               let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                iterator = iterator.dropFirst(2)
                continue
            }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public subscript(name: String) -> String? {
        guard let v = values[name], !v.isEmpty else { return nil }
        return v
    }

    func required(_ name: String) throws(APIError) -> String {
        guard let v = self[name] else { throw .mandatory(name) }
        return v
    }

    /// A Binance decimal: digits, optionally "." and digits (no sign, no exponent), at most 8
    /// significant fraction digits (-1111 otherwise).
    func decimal(_ name: String) throws(APIError) -> Decimal8? {
        guard let text = self[name] else { return nil }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let digits: (Substring) -> Bool = { !$0.isEmpty && $0.count <= 20 && $0.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }
        guard digits(parts[0]), parts.count == 1 || digits(parts[1]) else { throw .illegalDecimal(name) }
        do { return try Decimal8(parsing: text) } catch {
            if case .tooManyFractionDigits = error { throw APIError(code: -1111, "Precision is over the maximum defined for this asset.") }
            throw .illegalDecimal(name)
        }
    }

    func int64(_ name: String) throws(APIError) -> Int64? {
        guard let text = self[name] else { return nil }
        guard let v = Int64(text) else { throw .illegalInteger(name) }
        return v
    }

    /// An optional `limit` in `range` with a default; out-of-range values are an error.
    func limit(default value: Int, max: Int) throws(APIError) -> Int {
        guard let v = try int64("limit") else { return value }
        guard v >= 1 else { throw APIError(code: -1100, "Illegal characters found in parameter 'limit'; legal range is '1...\(max)'.") }
        return Int(Swift.min(v, Int64(max)))
    }
}
