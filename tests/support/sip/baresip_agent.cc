#include "support/sip/baresip_agent.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "support/sip/baresip_phone.h"

namespace kefu::sip::testing {

std::string makeTempDir(const std::string& prefix) {
  std::string pattern = "/tmp/" + prefix + "XXXXXX";
  char* made = ::mkdtemp(pattern.data());
  return made != nullptr ? std::string(made) : std::string();
}

BaresipAgent::BaresipAgent(const std::string& dir, const BaresipAccount& account)
    : dir_(dir), user_(account.user), sip_port_(freeSipPortPair()) {
  {
    std::ofstream config(dir_ + "/config");
    config << "net_interface 127.0.0.1\n"
           << "sip_listen 127.0.0.1:" << sip_port_ << "\n"
           << "audio_player aubridge,nil\naudio_alert aubridge,nil\naudio_source aubridge,nil\n"
           << "module_path /usr/lib/baresip/modules\n"
           << "module g711.so\nmodule aubridge.so\n"
           << "module_tmp account.so\nmodule_app menu.so\n"
           << "sip_verify_server no\n"
           << "statmode_default off\n";
  }
  {
    const char* scheme = account.transport == "tls" ? "sips" : "sip";
    std::ofstream accounts(dir_ + "/accounts");
    accounts << "<" << scheme << ":" << account.user << "@127.0.0.1:" << account.registrar_port
             << ";transport=" << account.transport << ">;regint=" << account.regint
             << ";auth_pass=" << account.password << ";answermode=manual\n";
  }
  std::ofstream(dir_ + "/contacts").close();
  pid_ = startBaresip(dir_);
}

BaresipAgent::~BaresipAgent() { stopBaresip(pid_); }

void BaresipAgent::kill() {
  if (pid_ <= 0) {
    return;
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string BaresipAgent::log() const { return baresipLog(dir_); }

std::string BaresipAgent::contactHostPort() const {
  return "@127.0.0.1:" + std::to_string(sip_port_);
}

}  // namespace kefu::sip::testing
