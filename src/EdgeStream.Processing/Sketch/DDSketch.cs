using EdgeStream.Processing.Engine;

namespace EdgeStream.Processing.Sketch;

/// <summary>
/// DDSketch (Masson, Rim, Lee, VLDB 2019): a quantile sketch with relative accuracy α. A value x &gt; 0 falls into bucket
/// i = ⌈log_γ x⌉ with γ = (1+α)/(1−α); every value in a bucket is within α of the bucket's representative
/// 2γ^i/(γ+1), so any quantile is returned within relative error α (while no bucket was collapsed). Negative values use a
/// mirrored store, zeros (|x| below the smallest indexable value) a counter. Each store is bounded to
/// <see cref="MaxBuckets"/> contiguous buckets; beyond that the lowest buckets are collapsed into one, which keeps the
/// accuracy guarantee for the upper quantiles (the ones that matter for p95/p99). Mergeable: <see cref="Merge"/> of two
/// sketches equals a sketch of both inputs (with the same α). Deterministic, no allocation per value once grown.
/// Not thread-safe.
/// </summary>
internal sealed class DDSketch
{
    /// <summary>Bucket bound per store: with α = 1 % this spans 2048 × 2 % ≈ 18 orders of magnitude before collapsing.</summary>
    public const int MaxBuckets = 2048;

    private const double MinIndexable = 1e-9;

    private readonly double _gamma;
    private readonly double _lnGamma;
    private readonly Store _positive = new();
    private readonly Store _negative = new();
    private long _zeros;

    /// <summary>Creates an empty sketch with relative accuracy <paramref name="relativeAccuracy"/> (0 &lt; α &lt; 1).</summary>
    public DDSketch(double relativeAccuracy = 0.01)
    {
        if (!(relativeAccuracy > 0 && relativeAccuracy < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(relativeAccuracy));
        }
        RelativeAccuracy = relativeAccuracy;
        _gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy);
        _lnGamma = Math.Log(_gamma);
    }

    /// <summary>α.</summary>
    public double RelativeAccuracy { get; }

    /// <summary>Values added.</summary>
    public long Count { get; private set; }

    /// <summary>Smallest value added.</summary>
    public double Min { get; private set; } = double.PositiveInfinity;

    /// <summary>Largest value added.</summary>
    public double Max { get; private set; } = double.NegativeInfinity;

    /// <summary>Buckets in use (both stores), a measure of memory.</summary>
    public int BucketCount => _positive.Length + _negative.Length;

    /// <summary>Adds a finite value.</summary>
    public void Add(double value)
    {
        if (value > MinIndexable)
        {
            _positive.Add(Index(value), 1);
        }
        else if (value < -MinIndexable)
        {
            _negative.Add(Index(-value), 1);
        }
        else
        {
            _zeros++;
        }
        Count++;
        Min = Math.Min(Min, value);
        Max = Math.Max(Max, value);
    }

    /// <summary>Adds all values of <paramref name="other"/> (same α).</summary>
    public void Merge(DDSketch other)
    {
        if (other.RelativeAccuracy != RelativeAccuracy)
        {
            throw new ArgumentException("Sketches of different accuracy cannot be merged.", nameof(other));
        }
        _positive.Merge(other._positive);
        _negative.Merge(other._negative);
        _zeros += other._zeros;
        Count += other.Count;
        Min = Math.Min(Min, other.Min);
        Max = Math.Max(Max, other.Max);
    }

    /// <summary>The q-quantile (0 ≤ q ≤ 1) of the values added: the value of rank ⌊q·(n−1)⌋; NaN when empty.</summary>
    public double Quantile(double q)
    {
        if (Count == 0)
        {
            return double.NaN;
        }
        if (q <= 0)
        {
            return Min;
        }
        if (q >= 1)
        {
            return Max;
        }
        long rank = (long)Math.Floor(q * (Count - 1));
        double result;
        long negCount = _negative.Total;
        if (rank < negCount)
        {
            // Negative values, most negative (highest index of |x|) first.
            result = -Value(_negative.IndexAtRankFromTop(rank));
        }
        else if (rank < negCount + _zeros)
        {
            result = 0;
        }
        else
        {
            result = Value(_positive.IndexAtRank(rank - negCount - _zeros));
        }
        return Math.Clamp(result, Min, Max);
    }

    private int Index(double v) => (int)Math.Ceiling(Math.Log(v) / _lnGamma);

    private double Value(int index) => 2 * Math.Pow(_gamma, index) / (_gamma + 1);

    /// <summary>Writes the sketch's state.</summary>
    public void Save(SnapshotWriter w)
    {
        w.Double(RelativeAccuracy);
        w.Long(Count);
        w.Double(Min);
        w.Double(Max);
        w.Long(_zeros);
        _positive.Save(w);
        _negative.Save(w);
    }

    /// <summary>Reads a state written by <see cref="Save"/> into an empty sketch of the same α.</summary>
    public void Load(ref SnapshotReader r)
    {
        if (r.Double() != RelativeAccuracy)
        {
            throw new InvalidDataException("The snapshot's sketch has another accuracy.");
        }
        Count = r.Long();
        Min = r.Double();
        Max = r.Double();
        _zeros = r.Long();
        _positive.Load(ref r);
        _negative.Load(ref r);
    }

    /// <summary>Contiguous bucket counts from <see cref="_offset"/>; at most <see cref="MaxBuckets"/>, collapsing the lowest.</summary>
    private sealed class Store
    {
        private long[] _counts = [];
        private int _offset;

        public int Length { get; private set; }

        public long Total { get; private set; }

        public void Add(int index, long count)
        {
            if (Length == 0)
            {
                if (_counts.Length == 0)
                {
                    _counts = new long[16];
                }
                _offset = index;
                Length = 1;
            }
            else if (index < _offset)
            {
                int newLength = _offset + Length - index;
                if (newLength > MaxBuckets)
                {
                    // Below the kept range: counts into the lowest kept bucket (collapsing-lowest).
                    index = Math.Max(index, _offset + Length - MaxBuckets);
                    newLength = Math.Min(newLength, MaxBuckets);
                    if (index >= _offset)
                    {
                        _counts[index - _offset] += count;
                        Total += count;
                        return;
                    }
                }
                int shift = _offset - index;
                EnsureCapacity(newLength);
                Array.Copy(_counts, 0, _counts, shift, Length);
                Array.Clear(_counts, 0, shift);
                _offset = index;
                Length = newLength;
            }
            else if (index >= _offset + Length)
            {
                int newLength = index - _offset + 1;
                if (newLength > MaxBuckets)
                {
                    CollapseBelow(index - MaxBuckets + 1);
                    newLength = index - _offset + 1;
                }
                EnsureCapacity(newLength);
                Length = newLength;
            }
            _counts[index - _offset] += count;
            Total += count;
        }

        // Folds every bucket below newOffset into the bucket newOffset, which becomes the lowest.
        private void CollapseBelow(int newOffset)
        {
            int n = newOffset - _offset;
            long folded = 0;
            for (int i = 0; i < Math.Min(n, Length); i++)
            {
                folded += _counts[i];
            }
            if (n >= Length)
            {
                Array.Clear(_counts, 0, Length);
                Length = 1;
            }
            else
            {
                Array.Copy(_counts, n, _counts, 0, Length - n);
                Array.Clear(_counts, Length - n, n);
                Length -= n;
            }
            _offset = newOffset;
            _counts[0] += folded;
        }

        private void EnsureCapacity(int length)
        {
            if (_counts.Length < length)
            {
                Array.Resize(ref _counts, Math.Min(MaxBuckets, Math.Max(length, _counts.Length * 2)));
            }
        }

        public void Merge(Store other)
        {
            for (int i = 0; i < other.Length; i++)
            {
                if (other._counts[i] != 0)
                {
                    Add(other._offset + i, other._counts[i]);
                }
            }
        }

        public int IndexAtRank(long rank)
        {
            long seen = 0;
            for (int i = 0; i < Length; i++)
            {
                seen += _counts[i];
                if (seen > rank)
                {
                    return _offset + i;
                }
            }
            return _offset + Length - 1;
        }

        public int IndexAtRankFromTop(long rank)
        {
            long seen = 0;
            for (int i = Length - 1; i >= 0; i--)
            {
                seen += _counts[i];
                if (seen > rank)
                {
                    return _offset + i;
                }
            }
            return _offset;
        }

        public void Save(SnapshotWriter w)
        {
            w.Int(_offset);
            w.Int(Length);
            for (int i = 0; i < Length; i++)
            {
                w.Long(_counts[i]);
            }
        }

        public void Load(ref SnapshotReader r)
        {
            _offset = r.Int();
            int length = r.Count(8);
            if (length > MaxBuckets)
            {
                throw new InvalidDataException("The snapshot's sketch has too many buckets.");
            }
            // Reuses the array when it is large enough (a pooled window loads its empty state here); the slots
            // beyond Length must be zero, as Add relies on.
            if (_counts.Length < length || _counts.Length == 0)
            {
                _counts = new long[Math.Max(16, length)];
            }
            else
            {
                Array.Clear(_counts);
            }
            Length = length;
            Total = 0;
            for (int i = 0; i < length; i++)
            {
                _counts[i] = r.Long();
                Total += _counts[i];
            }
        }
    }
}
