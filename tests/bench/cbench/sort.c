/* The sorting workload: a pseudo-random array sorted by quicksort
 * (median of three, insertion sort below a cut-off, recursion on the
 * smaller side) on even rounds and by heap sort on odd ones, then checked
 * in order and folded into a value. */
#include "tests/bench/cbench/work.h"

#define SORT_N 256

static uint32_t arr[SORT_N];

static void swap(uint32_t *a, uint32_t *b)
{
    uint32_t t = *a;
    *a = *b;
    *b = t;
}

static void insertion_sort(uint32_t *v, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++) {
        uint32_t x = v[i], j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

static void quick_sort(uint32_t *v, uint32_t n)
{
    while (n > 12) {
        uint32_t m = n / 2;
        if (v[m] < v[0])
            swap(&v[m], &v[0]);
        if (v[n - 1] < v[0])
            swap(&v[n - 1], &v[0]);
        if (v[n - 1] < v[m])
            swap(&v[n - 1], &v[m]);
        uint32_t pivot = v[m], i = 0, j = n - 1;
        for (;;) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i >= j)
                break;
            swap(&v[i], &v[j]);
            i++;
            j--;
        }
        /* v[0..j] <= pivot <= v[j+1..n-1]: recurse on the smaller part. */
        uint32_t left = j + 1;
        if (left < n - left) {
            quick_sort(v, left);
            v += left;
            n -= left;
        } else {
            quick_sort(v + left, n - left);
            n = left;
        }
    }
    insertion_sort(v, n);
}

static void sift_down(uint32_t *v, uint32_t root, uint32_t n)
{
    for (;;) {
        uint32_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && v[child + 1] > v[child])
            child++;
        if (v[root] >= v[child])
            return;
        swap(&v[root], &v[child]);
        root = child;
    }
}

static void heap_sort(uint32_t *v, uint32_t n)
{
    for (uint32_t i = n / 2; i-- > 0;)
        sift_down(v, i, n);
    for (uint32_t end = n - 1; end > 0; end--) {
        swap(&v[0], &v[end]);
        sift_down(v, 0, end);
    }
}

uint32_t work_sort(uint32_t seed, int heap)
{
    uint32_t s = seed | 1u;
    for (uint32_t i = 0; i < SORT_N; i++)
        /* Values from a narrow range too, so that equal keys occur. */
        arr[i] = (i & 3) ? xorshift32(&s) : xorshift32(&s) & 0xFF;
    if (heap)
        heap_sort(arr, SORT_N);
    else
        quick_sort(arr, SORT_N);
    uint32_t h = 0, disorder = 0;
    for (uint32_t i = 0; i < SORT_N; i++) {
        if (i > 0 && arr[i - 1] > arr[i])
            disorder++;
        h = rotl32(h, 3) ^ arr[i];
    }
    return h + disorder * 0x01000193u;
}
