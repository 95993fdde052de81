#pragma once

// DTLS-SRTP: our certificate and the per-leg transport.
#include "media/dtls_certificate.h"
#include "media/dtls_transport.h"
