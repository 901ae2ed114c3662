using System.Text.Json;
using EdgeStream.Processing.Engine;

namespace EdgeStream.Processing.Aggregates;

/// <summary>
/// Incremental state of one aggregate in one window: fed values one at a time (never buffering them), written as one
/// JSON field when the window is emitted, saved and loaded for snapshots. Values are finite numbers; time is event time
/// in Unix milliseconds. Not thread-safe.
/// </summary>
internal abstract class Accumulator
{
    /// <summary>Adds one value observed at event time <paramref name="timeMs"/>.</summary>
    public abstract void Add(double value, long timeMs);

    /// <summary>Writes the result as property <paramref name="name"/> (null when undefined, e.g. the mean of nothing).</summary>
    public abstract void Write(Utf8JsonWriter writer, string name, long windowStartMs, long windowEndMs);

    public abstract void Save(SnapshotWriter w);

    public abstract void Load(ref SnapshotReader r);

    /// <summary>Rough bytes held, for the state-size figure.</summary>
    public virtual int StateBytes => 32;

    protected static void Number(Utf8JsonWriter writer, string name, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumber(name, value);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    /// <summary>Creates the empty accumulator for a spec.</summary>
    public static Accumulator Create(AggregateSpec spec) => spec.Kind switch
    {
        AggregateKind.Count => new CountAcc(),
        AggregateKind.Sum => new SumAcc(mean: false),
        AggregateKind.Mean => new SumAcc(mean: true),
        AggregateKind.Min => new MinMaxAcc(max: false),
        AggregateKind.Max => new MinMaxAcc(max: true),
        AggregateKind.First => new FirstLastAcc(FirstLastAcc.Mode.First),
        AggregateKind.Last => new FirstLastAcc(FirstLastAcc.Mode.Last),
        AggregateKind.Delta => new FirstLastAcc(FirstLastAcc.Mode.Delta),
        AggregateKind.StdDev => new WelfordAcc(stddev: true),
        AggregateKind.Variance => new WelfordAcc(stddev: false),
        AggregateKind.Rate => new RateAcc(),
        AggregateKind.TimeWeightedAverage => new TimeWeightedAcc(average: true),
        AggregateKind.Integral => new TimeWeightedAcc(average: false),
        AggregateKind.Quantile => new QuantileAcc(spec.Quantile),
        AggregateKind.AbsentFor => new AbsentForAcc((long)spec.Duration.TotalMilliseconds),
        _ => throw new ArgumentOutOfRangeException(nameof(spec)),
    };
}

/// <summary>count() (every record of the window) or count(/f) (records with a number at /f).</summary>
internal sealed class CountAcc : Accumulator
{
    private long _n;

    public override void Add(double value, long timeMs) => _n++;

    public override void Write(Utf8JsonWriter writer, string name, long windowStartMs, long windowEndMs) => writer.WriteNumber(name, _n);

    public override void Save(SnapshotWriter w) => w.Long(_n);

    public override void Load(ref SnapshotReader r) => _n = r.Long();
}

/// <summary>sum and mean (sum / n, summed in arrival order).</summary>
internal sealed class SumAcc(bool mean) : Accumulator
{
    private double _sum;
    private long _n;

    public override void Add(double value, long timeMs)
    {
        _sum += value;
        _n++;
    }

    public override void Write(Utf8JsonWriter writer, string name, long windowStartMs, long windowEndMs)
    {
        if (mean && _n == 0)
        {
            writer.WriteNull(name);
        }
        else
        {
            Number(writer, name, mean ? _sum / _n : _sum);
        }
    }

    public override void Save(SnapshotWriter w)
    {
        w.Double(_sum);
        w.Long(_n);
    }

    public override void Load(ref SnapshotReader r)
    {
        _sum = r.Double();
        _n = r.Long();
    }
}

internal sealed class MinMaxAcc(bool max) : Accumulator
{
    private double _v = max ? double.NegativeInfinity : double.PositiveInfinity;

    public override void Add(double value, long timeMs) => _v = max ? Math.Max(_v, value) : Math.Min(_v, value);

    public override void Write(Utf8JsonWriter writer, string name, long windowStartMs, long windowEndMs) => Number(writer, name, _v);

    public override void Save(SnapshotWriter w) => w.Double(_v);

    public override void Load(ref SnapshotReader r) => _v = r.Double();
}

/// <summary>first / last by event time (ties: the earlier-arrived for first, the later-arrived for last), and
/// delta = last − first. Order-independent, so out-of-order records within the lateness are exact.</summary>
internal sealed class FirstLastAcc(FirstLastAcc.Mode mode) : Accumulator
{
    internal enum Mode
    {
        First,
        Last,
        Delta,
    }

    private bool _any;
    private long _firstT, _lastT;
    private double _firstV, _lastV;

    public override void Add(double value, long timeMs)
    {
        if (!_any)
        {
            _any = true;
            _firstT = _lastT = timeMs;
            _firstV = _lastV = value;
            return;
        }
        if (timeMs < _firstT)
        {
            _firstT = timeMs;
            _firstV = value;
        }
        if (timeMs >= _lastT)
        {
            _lastT = timeMs;
            _lastV = value;
        }
    }

    public override void Write(Utf8JsonWriter writer, string name, long windowStartMs, long windowEndMs)
    {
        if (!_any)
        {
            writer.WriteNull(name);
            return;
        }
        Number(writer, name, mode switch
        {
            Mode.First => _firstV,
            Mode.Last => _lastV,
            _ => _lastV - _firstV,
        });
    }

    public override void Save(SnapshotWriter w)
    {
        w.Bool(_any);
        w.Long(_firstT);
        w.Long(_lastT);
        w.Double(_firstV);
        w.Double(_lastV);
    }

    public override void Load(ref SnapshotReader r)
    {
        _any = r.Bool();
        _firstT = r.Long();
        _lastT = r.Long();
        _firstV = r.Double();
        _lastV = r.Double();
    }
}

/// <summary>Sample variance and standard deviation (n − 1) by Welford's online algorithm; null below two values.</summary>
internal sealed class WelfordAcc(bool stddev) : Accumulator
{
    private long _n;
    private double _mean, _m2;

    public override void Add(double value, long timeMs)
    {
        _n++;
        double d = value - _mean;
        _mean += d / _n;
        _m2 += d * (value - _mean);
    }

    public override void Write(Utf8JsonWriter writer, string name, long windowStartMs, long windowEndMs)
    {
        if (_n < 2)
        {
            writer.WriteNull(name);
            return;
        }
        double variance = _m2 / (_n - 1);
        Number(writer, name, stddev ? Math.Sqrt(variance) : variance);
    }

    public override void Save(SnapshotWriter w)
    {
        w.Long(_n);
        w.Double(_mean);
        w.Double(_m2);
    }

    public override void Load(ref SnapshotReader r)
    {
        _n = r.Long();
        _mean = r.Double();
        _m2 = r.Double();
    }
}

/// <summary>
/// Non-negative per-second rate of a counter: the sum of increases between consecutive samples (a decrease is a counter
/// reset, so the new value itself is the increase since the reset) over the time between the first and last sample.
/// Samples are taken in arrival order; a sample older than the previous one is ignored. Null with fewer than two
/// distinct sample times.
/// </summary>
internal sealed class RateAcc : Accumulator
{
    private bool _any;
    private long _firstT, _lastT;
    private double _lastV, _increase;

    public override void Add(double value, long timeMs)
    {
        if (!_any)
        {
            _any = true;
            _firstT = _lastT = timeMs;
            _lastV = value;
            return;
        }
        if (timeMs < _lastT)
        {
            return;
        }
        double d = value - _lastV;
        _increase += d >= 0 ? d : Math.Max(value, 0);
        _lastV = value;
        _lastT = timeMs;
    }

    public override void Write(Utf8JsonWriter writer, string name, long windowStartMs, long windowEndMs)
    {
        if (!_any || _lastT == _firstT)
        {
            writer.WriteNull(name);
            return;
        }
        Number(writer, name, _increase / ((_lastT - _firstT) / 1000.0));
    }

    public override void Save(SnapshotWriter w)
    {
        w.Bool(_any);
        w.Long(_firstT);
        w.Long(_lastT);
        w.Double(_lastV);
        w.Double(_increase);
    }

    public override void Load(ref SnapshotReader r)
    {
        _any = r.Bool();
        _firstT = r.Long();
        _lastT = r.Long();
        _lastV = r.Double();
        _increase = r.Double();
    }
}

/// <summary>
/// Time-weighted average and integral (value × seconds) over irregular samples, by the trapezoid rule between
/// consecutive samples from the first to the last sample of the window. Samples in arrival order; a sample older than the
/// previous one is ignored. One sample: the average is its value, the integral 0.
/// </summary>
internal sealed class TimeWeightedAcc(bool average) : Accumulator
{
    private bool _any;
    private long _firstT, _lastT;
    private double _firstV, _lastV, _area;

    public override void Add(double value, long timeMs)
    {
        if (!_any)
        {
            _any = true;
            _firstT = _lastT = timeMs;
            _firstV = _lastV = value;
            return;
        }
        if (timeMs < _lastT)
        {
            return;
        }
        _area += (value + _lastV) / 2 * ((timeMs - _lastT) / 1000.0);
        _lastV = value;
        _lastT = timeMs;
    }

    public override void Write(Utf8JsonWriter writer, string name, long windowStartMs, long windowEndMs)
    {
        if (!_any)
        {
            writer.WriteNull(name);
            return;
        }
        if (!average)
        {
            Number(writer, name, _area);
            return;
        }
        Number(writer, name, _lastT == _firstT ? _firstV : _area / ((_lastT - _firstT) / 1000.0));
    }

    public override void Save(SnapshotWriter w)
    {
        w.Bool(_any);
        w.Long(_firstT);
        w.Long(_lastT);
        w.Double(_firstV);
        w.Double(_lastV);
        w.Double(_area);
    }

    public override void Load(ref SnapshotReader r)
    {
        _any = r.Bool();
        _firstT = r.Long();
        _lastT = r.Long();
        _firstV = r.Double();
        _lastV = r.Double();
        _area = r.Double();
    }
}

/// <summary>quantile(x, q) with a <see cref="Sketch.DDSketch"/> of 1 % relative accuracy.</summary>
internal sealed class QuantileAcc(double q) : Accumulator
{
    private readonly Sketch.DDSketch _sketch = new(0.01);

    public override void Add(double value, long timeMs) => _sketch.Add(value);

    public override void Write(Utf8JsonWriter writer, string name, long windowStartMs, long windowEndMs) => Number(writer, name, _sketch.Quantile(q));

    public override void Save(SnapshotWriter w) => _sketch.Save(w);

    public override void Load(ref SnapshotReader r) => _sketch.Load(ref r);

    public override int StateBytes => 64 + (_sketch.BucketCount * 8);
}

/// <summary>absent_for(d): true when the key's last record in the window is at least d before the window's end (the
/// device went quiet); emitted when the window closes, including by the idle timeout.</summary>
internal sealed class AbsentForAcc(long durationMs) : Accumulator
{
    private long _lastT = long.MinValue;

    public override void Add(double value, long timeMs) => _lastT = Math.Max(_lastT, timeMs);

    public override void Write(Utf8JsonWriter writer, string name, long windowStartMs, long windowEndMs) =>
        writer.WriteBoolean(name, _lastT == long.MinValue || windowEndMs - _lastT >= durationMs);

    public override void Save(SnapshotWriter w) => w.Long(_lastT);

    public override void Load(ref SnapshotReader r) => _lastT = r.Long();
}
