import Foundation
import Domain

/// The JSON control messages of a market-stream connection (BINANCE.md §6): SUBSCRIBE,
/// UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY and their responses.
public enum StreamControl {
    public struct Request: Sendable, Hashable {
        public var method: String
        public var params: [JSONValue]
        public var id: JSONValue

        public init(method: String, params: [JSONValue] = [], id: JSONValue) {
            self.method = method
            self.params = params
            self.id = id
        }

        public var jsonText: String {
            var members: [(key: String, value: JSONValue)] = [("method", .string(method))]
            if !params.isEmpty { members.append(("params", .array(params))) }
            members.append(("id", id))
            return JSONValue.object(members).jsonText
        }

        public static func subscribe(_ streams: [String], id: Int) -> Request {
            Request(method: "SUBSCRIBE", params: streams.map(JSONValue.string), id: .number(String(id)))
        }

        public static func unsubscribe(_ streams: [String], id: Int) -> Request {
            Request(method: "UNSUBSCRIBE", params: streams.map(JSONValue.string), id: .number(String(id)))
        }

        /// The stream names of a SUBSCRIBE / UNSUBSCRIBE.
        public var streamNames: [String] {
            params.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
        }
    }

    /// `{"result": ..., "id": N}` or an error `{"code": 2, "msg": "...", "id": N}`.
    public struct Response: Sendable, Hashable {
        public var id: JSONValue?
        public var result: JSONValue?
        public var errorCode: Int?
        public var errorMessage: String?

        public init(id: JSONValue?, result: JSONValue?, errorCode: Int? = nil, errorMessage: String? = nil) {
            self.id = id
            self.result = result
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }

        public var jsonText: String {
            var members: [(key: String, value: JSONValue)] = []
            if let errorCode {
                members.append(("code", .number(String(errorCode))))
                members.append(("msg", .string(errorMessage ?? "")))
            } else {
                members.append(("result", result ?? .null))
            }
            members.append(("id", id ?? .null))
            return JSONValue.object(members).jsonText
        }
    }

    public static func request(_ bytes: [UInt8]) throws(BinanceDecodeError) -> Request {
        let f = try JSONFields(try JSONValue.parse(bytes, payload: "control"), payload: "control")
        return Request(method: try f.string("method"), params: try f.optionalArray("params"), id: f.value["id"] ?? .null)
    }

    public static func response(_ bytes: [UInt8]) throws(BinanceDecodeError) -> Response {
        let f = try JSONFields(try JSONValue.parse(bytes, payload: "control"), payload: "control")
        if let code = try f.optionalInt64("code") {
            return Response(id: f.value["id"], result: nil, errorCode: Int(code), errorMessage: try f.optionalString("msg"))
        }
        guard f.has("result") else { throw BinanceDecodeError(payload: "control", field: "result", reason: .missing) }
        return Response(id: f.value["id"], result: f.value["result"])
    }

    /// Whether a text frame is a control response rather than a stream payload.
    public static func isResponse(_ bytes: UnsafeRawBufferPointer) -> Bool {
        // Responses carry "id" at the top level and no "stream"/"e"; a cheap check on the first key.
        var c = JSONCursor(bytes, payload: "control")
        guard (try? c.beginObject()) != nil else { return false }
        var first = true
        while let key = try? c.nextKey(first: &first) {
            if c.key(key, is: "result") || c.key(key, is: "id") || c.key(key, is: "code") { return true }
            if c.key(key, is: "stream") || c.key(key, is: "data") || c.singleByteKey(key) == UInt8(ascii: "e") { return false }
            guard (try? c.skipValue("")) != nil else { return false }
        }
        return false
    }
}

/// Binance's weight headers: `X-MBX-USED-WEIGHT-<n><S|M|H|D>` (sent lowercase; matched
/// case-insensitively) and `X-MBX-ORDER-COUNT-<n><unit>`.
public enum WeightHeaders {
    /// Interval ("1M", "10S") → used weight, from header name/value pairs.
    public static func usedWeights(_ headers: [(key: String, value: JSONValue)]) -> [String: Int] {
        usedWeights(headers.compactMap { pair -> (String, String)? in
            if case .string(let v) = pair.value { return (pair.key, v) }
            return nil
        })
    }

    public static func usedWeights(_ headers: [(String, String)]) -> [String: Int] {
        collect(headers, prefix: "x-mbx-used-weight-")
    }

    public static func orderCounts(_ headers: [(String, String)]) -> [String: Int] {
        collect(headers, prefix: "x-mbx-order-count-")
    }

    static func collect(_ headers: [(String, String)], prefix: String) -> [String: Int] {
        var out: [String: Int] = [:]
        for (name, value) in headers {
            let lower = name.lowercased()
            guard lower.hasPrefix(prefix), let n = Int(value.trimmingCharacters(in: .whitespaces)) else { continue }
            out[String(lower.dropFirst(prefix.count)).uppercased()] = n
        }
        return out
    }
}
