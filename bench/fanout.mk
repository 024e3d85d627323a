# bench/fanout's meter: built with everything (a bench runs against the built tree), never
# installed (included by the top Makefile.am; paths are relative to the top).
noinst_PROGRAMS += bench/fanout-meter
bench_fanout_meter_SOURCES = bench/fanout-meter.c
bench_fanout_meter_LDADD = -lpthread
EXTRA_DIST += bench/fanout bench/nchan.nginx.conf.in
