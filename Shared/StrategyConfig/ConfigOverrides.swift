/// Values the caller (the command line) puts in place of the file's, without editing the file.
/// Every override that changes a value the file sets is reported as a note.
public struct ConfigOverrides: Sendable, Hashable {
    /// Replaces `data_folder` (`--data-folder`).
    public var dataFolder: String?
    /// The kline file of a model run alone (`--klines FILE`), whatever its symbol.
    public var klinesFile: String?
    /// Kline files per symbol (for a portfolio).
    public var klinesBySymbol: [String: String]
    /// Replaces every AutoML algorithm's `budget_hours` (`--budget-hours`).
    public var budgetHours: Double?
    /// Replaces the AutoML recall floor (`recall_value`).
    public var recallFloor: Double?
    /// Where relative data paths (`data_folder`, `orderbook_pattern`, `--klines`) are resolved;
    /// nil = the current directory, as ITB does.
    public var baseDirectory: String?
    /// Portfolio only: the folder that model paths are relative to, instead of the portfolio's
    /// `model_dir` (`--model-dir`, e.g. ../shared/configs/seed).
    public var modelDirectory: String?

    public init(
        dataFolder: String? = nil, klinesFile: String? = nil, klinesBySymbol: [String: String] = [:],
        budgetHours: Double? = nil, recallFloor: Double? = nil, baseDirectory: String? = nil, modelDirectory: String? = nil
    ) {
        self.dataFolder = dataFolder
        self.klinesFile = klinesFile
        self.klinesBySymbol = klinesBySymbol
        self.budgetHours = budgetHours
        self.recallFloor = recallFloor
        self.baseDirectory = baseDirectory
        self.modelDirectory = modelDirectory
    }

    public static let none = ConfigOverrides()

    /// Violations of the overrides themselves (path = the command-line option).
    public var violations: [Violation] {
        var result: [Violation] = []
        if let budgetHours, !(budgetHours.isFinite && budgetHours > 0) {
            result.append(Violation(path: "--budget-hours", message: "\(budgetHours) must be a number of hours > 0"))
        }
        if let recallFloor, !(recallFloor > 0 && recallFloor < 1) {
            result.append(Violation(path: "--recall-floor", message: "\(recallFloor) must be in (0, 1)"))
        }
        if let dataFolder, dataFolder.isEmpty { result.append(Violation(path: "--data-folder", message: "must not be empty")) }
        return result
    }
}
