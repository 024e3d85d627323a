# fieldsync-relay: nanomsg SUB in, Server-Sent Events out (included by the top Makefile.am;
# paths are relative to the top).
# Beside the workers: started by its unit (or ./stack), never from a shell's PATH.
pkglibexec_PROGRAMS = relay/fieldsync-relay
relay_fieldsync_relay_SOURCES = \
	relay/main.c relay/relay.h \
	relay/backlog.c relay/backlog.h \
	relay/filter.c relay/filter.h \
	relay/frame.c relay/frame.h \
	relay/http.c relay/http.h \
	relay/listen.c relay/listen.h \
	relay/pages.c relay/pages.h \
	relay/pool.c relay/pool.h \
	relay/queries.c relay/queries.h \
	relay/log.c relay/log.h \
	relay/message.c relay/message.h \
	relay/ring.c relay/ring.h \
	relay/scope.c relay/scope.h \
	relay/source.c relay/source.h \
	relay/sse.c relay/sse.h \
	relay/trim.c relay/trim.h
relay_fieldsync_relay_CFLAGS = $(AM_CFLAGS) -pthread $(LIBEVENT_CFLAGS) $(SODIUM_CFLAGS)
relay_fieldsync_relay_LDFLAGS = -pthread
relay_fieldsync_relay_LDADD = lib/libfieldsync.la $(LIBEVENT_LIBS) $(NANOMSG_LIBS) $(PQ_LIBS) \
	$(CJSON_LIBS) $(SODIUM_LIBS)
